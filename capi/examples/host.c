/*
 * A C host program embedding sowa: loads a module compiled by `sowa compile`, gives it host
 * functions, calls its exports, reads traps, stops a runaway call with a deadline, and runs a
 * WASI command. Built and run by capi/tests/c_example.rs on x86-64 and on aarch64 (qemu).
 *
 *   sowa compile capi/examples/demo.wat -o demo.so
 *   sowa compile hello.wasm -o hello.so
 *   cc capi/examples/host.c -Icapi/include target/release/libsowa.a -lpthread -ldl -lm -o host
 *   ./host demo.so hello.so
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sowa.h"

static void check(sowa_error_t *err, const char *what) {
    if (err) {
        fprintf(stderr, "%s: %s\n", what, sowa_error_message(err));
        sowa_error_free(err);
        exit(1);
    }
}

/* host.print(ptr, len): prints a string from the caller's memory, checking its bounds. */
static sowa_trap_t *print(void *env, sowa_caller_t *caller, const sowa_val_t *args, size_t nargs,
                          sowa_val_t *results, size_t nresults) {
    (void)results;
    (void)nresults;
    (void)nargs;
    size_t len = 0;
    uint8_t *mem = sowa_caller_memory(caller, &len);
    uint32_t ptr = (uint32_t)args[0].of.i32, n = (uint32_t)args[1].of.i32;
    if (!mem || (uint64_t)ptr + n > len)
        return sowa_trap_new("print: string out of bounds");
    printf("%s%.*s\n", (const char *)env, (int)n, (const char *)mem + ptr);
    return NULL;
}

/* host.fail(x): doubles x, or fails for a negative x. */
static sowa_trap_t *fail(void *env, sowa_caller_t *caller, const sowa_val_t *args, size_t nargs,
                         sowa_val_t *results, size_t nresults) {
    (void)env;
    (void)caller;
    (void)nargs;
    (void)nresults;
    if (args[0].of.i32 < 0)
        return sowa_trap_new("negative input");
    results[0].of.i32 = args[0].of.i32 * 2;
    return NULL;
}

static int finalized = 0;
static void finalize(void *env) {
    (void)env;
    finalized++;
}

static void report(sowa_trap_t *trap) {
    const char *func = sowa_trap_function(trap);
    printf("trap: code %u, function %s, offset %lld: %s\n", sowa_trap_code(trap),
           func ? func : "?", (long long)sowa_trap_wasm_offset(trap), sowa_trap_message(trap));
    sowa_trap_free(trap);
}

/* Ticks the epoch every millisecond until told to stop, as a firmware's timer would. */
static atomic_int stop_ticking;
static void *ticker(void *epoch) {
    struct timespec ms = {0, 1000000};
    while (!atomic_load(&stop_ticking)) {
        nanosleep(&ms, NULL);
        sowa_epoch_increment(epoch);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s DEMO.so HELLO.so\n", argv[0]);
        return 2;
    }
    sowa_module_t *module;
    check(sowa_module_load(argv[1], &module), "load");

    sowa_epoch_t *epoch = sowa_epoch_new();
    sowa_limits_t limits = {.max_memory_bytes = 1 << 20, .max_wasm_stack_bytes = 256 << 10};
    sowa_store_t *store = sowa_store_new(&limits, epoch);

    sowa_linker_t *linker = sowa_linker_new();
    sowa_valkind_t two_i32[] = {SOWA_I32, SOWA_I32}, one_i32[] = {SOWA_I32};
    check(sowa_linker_define_func(linker, "host", "print", two_i32, 2, NULL, 0, print,
                                  "print: ", finalize),
          "define print");
    check(sowa_linker_define_func(linker, "host", "fail", one_i32, 1, one_i32, 1, fail, NULL,
                                  finalize),
          "define fail");

    sowa_instance_t *instance;
    sowa_trap_t *trap = NULL;
    check(sowa_instantiate(linker, store, module, &instance, &trap), "instantiate");
    if (trap) {
        report(trap);
        return 1;
    }

    check(sowa_instance_call(instance, "greet", NULL, 0, NULL, 0, &trap), "greet");

    sowa_val_t args[2] = {{.kind = SOWA_I64, .of.i64 = 40}, {.kind = SOWA_F64, .of.f64 = 2.5}};
    sowa_val_t result;
    check(sowa_instance_call(instance, "add", args, 2, &result, 1, &trap), "add");
    printf("add(40, 2.5) = %g\n", result.of.f64);

    sowa_val_t div_args[2] = {{.kind = SOWA_I32, .of.i32 = 7}, {.kind = SOWA_I32, .of.i32 = 0}};
    check(sowa_instance_call(instance, "div", div_args, 2, &result, 1, &trap), "div");
    if (trap)
        report(trap);
    trap = NULL;

    sowa_val_t x = {.kind = SOWA_I32, .of.i32 = 21};
    check(sowa_instance_call(instance, "ask_host", &x, 1, &result, 1, &trap), "ask_host");
    printf("ask_host(21) = %d\n", result.of.i32);
    x.of.i32 = -1;
    check(sowa_instance_call(instance, "ask_host", &x, 1, &result, 1, &trap), "ask_host");
    if (trap)
        printf("host error: reason %u: %s\n", sowa_trap_reason(trap), sowa_trap_message(trap));
    sowa_trap_free(trap);
    trap = NULL;

    /* Misuse is an error, not a crash. */
    sowa_error_t *err = sowa_instance_call(instance, "add", args, 1, &result, 1, &trap);
    printf("error: %s\n", err ? sowa_error_message(err) : "none");
    sowa_error_free(err);

    /* A runaway call, stopped 20 ticks (about 20 ms) from now. */
    pthread_t timer;
    pthread_create(&timer, NULL, ticker, epoch);
    sowa_store_set_deadline(store, 20);
    check(sowa_instance_call(instance, "spin", NULL, 0, NULL, 0, &trap), "spin");
    if (trap)
        report(trap);

    sowa_instance_free(instance);
    sowa_store_free(store);
    sowa_linker_free(linker);
    sowa_module_free(module);
    printf("finalizers run: %d\n", finalized);

    /* A WASI command, with arguments, environment and a directory. */
    sowa_module_t *hello;
    check(sowa_module_load(argv[2], &hello), "load hello");
    const char *wasi_argv[] = {"hello", "from", "C"};
    const char *wasi_env[] = {"GREETING=hi"};
    const char *dirs[] = {"."};
    sowa_wasi_config_t config = {wasi_argv, 3, wasi_env, 1, dirs, 1};
    sowa_store_t *wasi_store = sowa_store_new(NULL, NULL);
    int32_t status = -1;
    fflush(stdout);
    check(sowa_wasi_run(hello, wasi_store, &config, &status, &trap), "run hello");
    printf("hello exited with %d\n", status);
    sowa_store_free(wasi_store);
    sowa_module_free(hello);

    atomic_store(&stop_ticking, 1);
    pthread_join(timer, NULL);
    sowa_epoch_free(epoch);
    return 0;
}
