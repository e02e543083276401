/*
 * sowa.h: the C API of sowa, for host programs written in C (device firmware, gateways).
 *
 * Link with libsowa.a (or -lsowa for libsowa.so) and -lpthread -ldl -lm. The library holds the
 * runtime and the WASI host, not the compiler: compile modules beforehand with `sowa compile`.
 *
 *   sowa_module_t    a loaded .so; load once, share between threads, instantiate many times.
 *   sowa_store_t     where instances live, with memory and stack limits and a deadline; one
 *                    thread at a time.
 *   sowa_linker_t    the imports: host functions written in C, and WASI.
 *   sowa_instance_t  an instance; call its exports by name.
 *   sowa_trap_t      why a call stopped: a wasm trap (kind, function, offset), a WASI exit, or
 *                    a host function's error.
 *   sowa_error_t     a usage or load error, with a message that says what to do.
 *
 * Functions that can fail return a sowa_error_t * (NULL on success) that the caller frees with
 * sowa_error_free. Objects returned through an out pointer are owned by the caller and freed
 * with their *_free function; freeing in any order is safe (an instance keeps its store alive).
 * Strings are UTF-8 and NUL-terminated.
 */
#ifndef SOWA_H
#define SOWA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sowa_error sowa_error_t;
typedef struct sowa_module sowa_module_t;
typedef struct sowa_epoch sowa_epoch_t;
typedef struct sowa_store sowa_store_t;
typedef struct sowa_linker sowa_linker_t;
typedef struct sowa_instance sowa_instance_t;
typedef struct sowa_caller sowa_caller_t;
typedef struct sowa_trap sowa_trap_t;

/* ---- errors ---------------------------------------------------------------------------- */

/* The message; valid until the error is freed. */
const char *sowa_error_message(const sowa_error_t *error);
void sowa_error_free(sowa_error_t *error);

/* ---- modules --------------------------------------------------------------------------- */

/* Maps and checks the .so at `path` (target, CPU features, format version). */
sowa_error_t *sowa_module_load(const char *path, sowa_module_t **out);
/* The same, first checking that the whole file is signed by the public key in the file
 * `public_key_path` (made by `sowa compile --generate-key`). */
sowa_error_t *sowa_module_load_verified(const char *path, const char *public_key_path,
                                        sowa_module_t **out);
void sowa_module_free(sowa_module_t *module);

/* ---- stores, limits and deadlines -------------------------------------------------------- */

typedef struct sowa_limits {
    /* Largest size of any linear memory, in bytes (0: no limit but wasm's own 4 GiB). Past it,
     * memory.grow returns -1 and instantiation fails. */
    uint64_t max_memory_bytes;
    /* Native stack wasm code may use per call (0: the default, 1 MiB). Deeper recursion traps
     * with SOWA_TRAP_STACK_OVERFLOW. */
    uint64_t max_wasm_stack_bytes;
} sowa_limits_t;

/* A counter that deadlines are measured in. Advance it from any thread (a timer). */
sowa_epoch_t *sowa_epoch_new(void);
void sowa_epoch_increment(const sowa_epoch_t *epoch);
void sowa_epoch_free(sowa_epoch_t *epoch);

/* A store with `limits` (NULL: defaults). With `epoch` (may be NULL: the process-wide one),
 * its deadline is counted in that epoch's ticks. */
sowa_store_t *sowa_store_new(const sowa_limits_t *limits, const sowa_epoch_t *epoch);
/* Stops wasm running in the store once the epoch has advanced `ticks` beyond its current
 * value: the call returns a trap of kind SOWA_TRAP_INTERRUPTED. UINT64_MAX: never. */
void sowa_store_set_deadline(sowa_store_t *store, uint64_t ticks);
void sowa_store_free(sowa_store_t *store);

/* ---- values ---------------------------------------------------------------------------- */

typedef uint32_t sowa_valkind_t;
#define SOWA_I32 0
#define SOWA_I64 1
#define SOWA_F32 2
#define SOWA_F64 3

typedef struct sowa_val {
    sowa_valkind_t kind;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
    } of;
} sowa_val_t;

/* ---- traps ----------------------------------------------------------------------------- */

typedef uint32_t sowa_trap_reason_t;
#define SOWA_TRAP_REASON_WASM 0 /* a WebAssembly trap: see sowa_trap_code */
#define SOWA_TRAP_REASON_EXIT 1 /* the program called proc_exit: see sowa_trap_exit_code */
#define SOWA_TRAP_REASON_HOST 2 /* a host function returned an error */
#define SOWA_TRAP_REASON_EXCEPTION 3 /* a wasm exception no handler caught */

/* Codes of WebAssembly traps (the values sowa's artifact format gives them). */
#define SOWA_TRAP_MEMORY_OUT_OF_BOUNDS 1
#define SOWA_TRAP_INTEGER_DIVIDE_BY_ZERO 2
#define SOWA_TRAP_INTEGER_OVERFLOW 3
#define SOWA_TRAP_BAD_CONVERSION_TO_INTEGER 4
#define SOWA_TRAP_UNREACHABLE 5
#define SOWA_TRAP_INDIRECT_CALL_TYPE_MISMATCH 6
#define SOWA_TRAP_UNDEFINED_ELEMENT 7
#define SOWA_TRAP_UNINITIALIZED_ELEMENT 8
#define SOWA_TRAP_STACK_OVERFLOW 9
#define SOWA_TRAP_TABLE_OUT_OF_BOUNDS 10
#define SOWA_TRAP_NULL_REFERENCE 11
#define SOWA_TRAP_INTERRUPTED 12
#define SOWA_TRAP_NULL_FUNCTION_REFERENCE 13
#define SOWA_TRAP_UNALIGNED_ATOMIC 14
#define SOWA_TRAP_ATOMIC_WAIT_NON_SHARED_MEMORY 15
#define SOWA_TRAP_NULL_EXCEPTION_REFERENCE 16
#define SOWA_TRAP_NULL_STRUCT_REFERENCE 17
#define SOWA_TRAP_NULL_ARRAY_REFERENCE 18
#define SOWA_TRAP_NULL_I31_REFERENCE 19
#define SOWA_TRAP_CAST_FAILURE 20
#define SOWA_TRAP_ARRAY_OUT_OF_BOUNDS 21
#define SOWA_TRAP_GC_HEAP_EXHAUSTED 22

sowa_trap_reason_t sowa_trap_reason(const sowa_trap_t *trap);
/* A SOWA_TRAP_* code for a WebAssembly trap, else 0. */
uint32_t sowa_trap_code(const sowa_trap_t *trap);
/* The proc_exit status for SOWA_TRAP_REASON_EXIT, else -1. */
int32_t sowa_trap_exit_code(const sowa_trap_t *trap);
/* The wasm function that trapped (its name-section name, else "func[N]"), or NULL. */
const char *sowa_trap_function(const sowa_trap_t *trap);
/* Byte offset in the .wasm of the instruction that trapped, or -1 when unknown. */
int64_t sowa_trap_wasm_offset(const sowa_trap_t *trap);
/* The whole report, e.g. "wasm trap: integer divide by zero in function 'div' at wasm offset
 * 0x2e". Strings are valid until the trap is freed. */
const char *sowa_trap_message(const sowa_trap_t *trap);
/* A trap for a host function to return: the call fails with SOWA_TRAP_REASON_HOST. */
sowa_trap_t *sowa_trap_new(const char *message);
void sowa_trap_free(sowa_trap_t *trap);

/* ---- linkers and host functions ---------------------------------------------------------- */

sowa_linker_t *sowa_linker_new(void);
void sowa_linker_free(sowa_linker_t *linker);

/* A host function. `args` holds the parameters, `results` is filled by the function (kinds
 * preset). Return NULL on success, or a trap from sowa_trap_new, which sowa takes and frees. */
typedef sowa_trap_t *(*sowa_func_callback_t)(void *env, sowa_caller_t *caller,
                                             const sowa_val_t *args, size_t nargs,
                                             sowa_val_t *results, size_t nresults);

/* Defines module.name as a host function of the given type. `finalizer` (may be NULL) is called
 * with `env` when the linker no longer needs it. */
sowa_error_t *sowa_linker_define_func(sowa_linker_t *linker, const char *module,
                                      const char *name, const sowa_valkind_t *params,
                                      size_t nparams, const sowa_valkind_t *results,
                                      size_t nresults, sowa_func_callback_t callback,
                                      void *env, void (*finalizer)(void *));

/* The calling instance's memory (its export "memory", else its first), valid during the
 * callback only; NULL when it has none. */
uint8_t *sowa_caller_memory(sowa_caller_t *caller, size_t *len);

/* ---- WASI --------------------------------------------------------------------------------- */

typedef struct sowa_wasi_config {
    /* The program's arguments, its name first. */
    const char *const *argv;
    size_t argc;
    /* Its environment, as "NAME=VALUE". */
    const char *const *env;
    size_t envc;
    /* Host directories it may use: "HOST" (seen under the same name) or "HOST::GUEST". */
    const char *const *dirs;
    size_t ndirs;
} sowa_wasi_config_t;

/* Defines the wasi_snapshot_preview1 functions in `linker`, over the host's standard streams
 * and `config`. */
sowa_error_t *sowa_linker_define_wasi(sowa_linker_t *linker, const sowa_wasi_config_t *config);

/* Runs a WASI command: instantiates `module` in `store` with WASI per `config` and calls its
 * _start. *exit_status is the program's status (0, or its proc_exit code); when it traps,
 * *exit_status is 134 and *trap (if `trap` is not NULL) says why. */
sowa_error_t *sowa_wasi_run(const sowa_module_t *module, sowa_store_t *store,
                            const sowa_wasi_config_t *config, int32_t *exit_status,
                            sowa_trap_t **trap);

/* ---- instances and calls ------------------------------------------------------------------ */

/* Instantiates `module` in `store` with imports from `linker`. If the start function or a
 * segment traps, returns NULL with *trap set (when `trap` is not NULL) and no instance. */
sowa_error_t *sowa_instantiate(const sowa_linker_t *linker, sowa_store_t *store,
                               const sowa_module_t *module, sowa_instance_t **out,
                               sowa_trap_t **trap);
void sowa_instance_free(sowa_instance_t *instance);

/* Calls the exported function `name`. Arguments must match its parameters in number and
 * kind; `results` receives its results (nresults must be their number). If the call traps,
 * returns NULL with *trap set (when `trap` is not NULL) and results untouched. */
sowa_error_t *sowa_instance_call(sowa_instance_t *instance, const char *name,
                                 const sowa_val_t *args, size_t nargs, sowa_val_t *results,
                                 size_t nresults, sowa_trap_t **trap);

#ifdef __cplusplus
}
#endif

#endif /* SOWA_H */
