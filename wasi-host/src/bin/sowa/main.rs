//! `sowa`: runs a module compiled ahead of time (`sowa run`), describes one (`sowa inspect`)
//! and, with the `compiler` feature (the default build; not the device build), compiles one
//! (`sowa compile`, the same command as `sowac`) or runs a `.wasm` directly.
//!
//! Exit status of `run`: the program's `proc_exit` code (0 when `_start` returns); 134 when the
//! program traps; 1 when the module cannot be loaded, linked or its arguments parsed. The other
//! commands: 0, or 1 with a message.
//!
//! The process starts at the C `main` below rather than through Rust's `main` wrapper: that
//! wrapper's start-up installs a stack-overflow handler for the main thread, and finds the
//! thread's stack by reading and parsing `/proc/self/maps`, a fifth of a cold start's work.
//! The runtime installs its own fault handlers when wasm first runs; the rest of the wrapper's
//! start-up that a runner needs (standard descriptors, `SIGPIPE`) and of its exit (flushing
//! stdout, exit status 101 on a panic) is done here.

#![no_main]

#[cfg(feature = "inspect")]
mod inspect;

use clap::{Parser, Subcommand};
use sowa_runtime::{Linker, Module, Store, Trap, Val, ValType};
use sowa_wasi::threads::WasiThreads;
use sowa_wasi::WasiCtx;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(
    name = "sowa",
    version,
    about = "Run WebAssembly compiled ahead of time",
    after_help = "\
Examples:
  sowa compile app.wasm -o app.so     compile once (the build machine)
  sowa run app.so arg1 arg2           run it (the device: only this runner and the .so)
  sowa inspect app.so                 what the .so holds and needs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a module: its `_start` (WASI command), or the function given with --invoke.
    Run(RunArgs),
    /// Compile a `.wasm` (or `.wat`) into a `.so` (the same command as `sowac`).
    #[cfg(feature = "compiler")]
    #[command(after_help = sowa_compiler::cli::EXAMPLES.replace("sowac", "sowa compile"))]
    Compile(sowa_compiler::cli::CompileArgs),
    /// Show what a `.so` (or a `.wasm`) holds: target, compiler, imports, exports, memories,
    /// the largest functions, the sizes of its parts.
    #[cfg(feature = "inspect")]
    Inspect(inspect::InspectArgs),
}

#[derive(Parser)]
#[command(after_help = "\
Examples:
  sowa run app.so input.txt                      run a WASI program with arguments
  sowa run --dir data --env LANG=C app.so        give it the directory ./data and a variable
  sowa run --dir /srv/www::/www app.so           host directory /srv/www, seen as /www
  sowa run --timeout 5s --max-memory 64MiB app.so   stop it after 5 s; cap its memory
  sowa run --invoke add math.so 2 3              call an exported function, print its result")]
struct RunArgs {
    /// Set an environment variable for the program (repeatable).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Pass the runner's whole environment on to the program (`--env` adds to it).
    #[arg(long)]
    inherit_env: bool,
    /// Give the program a host directory, under its own name or as GUEST (repeatable).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Give the program a socket listening on ADDR:PORT, for `sock_accept` (repeatable).
    #[arg(long = "tcplisten", value_name = "ADDR:PORT")]
    tcplisten: Vec<String>,
    /// Largest size a linear memory may reach, e.g. `64MiB`: past it `memory.grow` returns -1.
    /// Also the most the GC heap's objects may take (past it, with every object alive, an
    /// allocation traps with "GC heap out of memory").
    #[arg(long, value_name = "SIZE", value_parser = sowa_wasi::size::parse_size)]
    max_memory: Option<u64>,
    /// Native stack wasm code may use, e.g. `256KiB` (default 1MiB): deeper recursion traps
    /// with "call stack exhausted".
    #[arg(long, value_name = "SIZE", value_parser = sowa_wasi::size::parse_size)]
    max_wasm_stack: Option<u64>,
    /// Stop the program after this long, e.g. `5s` or `250ms`: it traps with "interrupted"
    /// (exit status 134) at its next function call or loop iteration.
    #[arg(long, value_name = "DURATION", value_parser = sowa_wasi::size::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Run the module only if all of it is signed by this public key (`sowa compile --sign`; a
    /// `.wasm` is refused: only a signed `.so` can be verified).
    #[arg(long, value_name = "PUBLIC_KEY")]
    verify: Option<PathBuf>,
    /// Call this exported function with the arguments instead of running `_start`.
    #[arg(long)]
    invoke: Option<String>,
    /// The module: a `.so` from `sowa compile` (or a `.wasm` when built with the compiler).
    file: PathBuf,
    /// Arguments for the program (or the invoked function).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn load(path: &PathBuf, key: Option<&sowa_runtime::PublicKey>) -> Result<Module, String> {
    let head = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut b = [0u8; 4];
        let n = f
            .read(&mut b)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        b[..n].to_vec()
    };
    if head == b"\0asm" && key.is_some() {
        return Err(format!(
            "{}: --verify checks signed .so files; compile it with `sowa compile --sign KEY` first",
            path.display()
        ));
    }
    if head == b"\0asm" {
        #[cfg(feature = "compiler")]
        {
            let wasm = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            return sowa_wasi::cache::load(&wasm).map_err(|e| format!("{}: {e}", path.display()));
        }
        #[cfg(not(feature = "compiler"))]
        return Err(format!(
            "{}: this is a .wasm file and this runner was built without the compiler; \
             compile it with `sowa compile` (or `sowac`) where the compiler is installed",
            path.display()
        ));
    }
    match key {
        Some(k) => Module::from_file_verified(path, k),
        None => Module::from_file(path),
    }
    .map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_arg(s: &str, ty: ValType) -> Result<Val, String> {
    let bad = || format!("cannot parse '{s}' as {ty:?}");
    Ok(match ty {
        ValType::I32 => Val::I32(
            s.parse::<i32>()
                .or_else(|_| s.parse::<u32>().map(|v| v as i32))
                .map_err(|_| bad())?,
        ),
        ValType::I64 => Val::I64(
            s.parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(|v| v as i64))
                .map_err(|_| bad())?,
        ),
        ValType::F32 => Val::F32(s.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().map_err(|_| bad())?.to_bits()),
        _ => return Err(format!("cannot pass a {ty:?} from the command line")),
    })
}

/// Status of a process that loses its main to a panic (as Rust's own `main` wrapper gives).
const PANIC_STATUS: u8 = 101;

fn report_trap(t: &Trap) -> u8 {
    if let Some(code) = t.exit_code() {
        return code as u8;
    }
    eprintln!("error: {t}");
    sowa_wasi::TRAP_STATUS
}

/// Start-up phases, timed when `SOWA_STARTUP_TRACE` is set and reported on stderr as one line,
/// `sowa-startup: args=NS load=NS instantiate=NS run=NS teardown=NS`: the benchmark's breakdown
/// of a cold start (the rest of a process's wall time is exec, dynamic loading and exit).
struct Phases {
    on: bool,
    last: std::time::Instant,
    marks: Vec<(&'static str, u128)>,
}

impl Phases {
    fn start() -> Phases {
        Phases {
            on: std::env::var_os("SOWA_STARTUP_TRACE").is_some(),
            last: std::time::Instant::now(),
            marks: Vec::new(),
        }
    }

    /// Ends phase `name`, which began at the previous mark.
    fn mark(&mut self, name: &'static str) {
        if self.on {
            let now = std::time::Instant::now();
            self.marks.push((name, (now - self.last).as_nanos()));
            self.last = now;
        }
    }

    fn report(&self) {
        if self.on {
            let line: Vec<String> = self.marks.iter().map(|(n, t)| format!("{n}={t}")).collect();
            eprintln!("sowa-startup: {}", line.join(" "));
        }
    }
}

fn run(args: RunArgs, phases: &mut Phases) -> Result<u8, String> {
    let key = match &args.verify {
        Some(p) => {
            let bytes = std::fs::read(p)
                .map_err(|e| format!("--verify: cannot read {}: {e}", p.display()))?;
            Some(
                sowa_runtime::PublicKey::from_text(&String::from_utf8_lossy(&bytes))
                    .map_err(|e| format!("--verify {}: {e}", p.display()))?,
            )
        }
        None => None,
    };
    let module = load(&args.file, key.as_ref())?;
    phases.mark("load");
    let mut limits = sowa_runtime::StoreLimits::default();
    if let Some(bytes) = args.max_memory {
        limits.max_memory_pages = bytes / sowa_targets::types::WASM_PAGE_SIZE;
        limits.max_gc_heap = bytes;
    }
    if let Some(bytes) = args.max_wasm_stack {
        limits.max_wasm_stack = usize::try_from(bytes).unwrap_or(usize::MAX);
    }
    // The store, and the absolute tick of its epoch at which it stops (for spawned threads).
    let (store, deadline) = match args.timeout {
        Some(after) => {
            // A counter of its own: the deadline is one tick, which the timer thread makes
            // after the timeout. It keeps ticking, because each tick past the deadline signals
            // the guest again, and a signal that found the thread in the host (a WASI call, a
            // builtin) left it alone.
            let epoch = sowa_runtime::Epoch::new();
            let store = Store::with_epoch(limits, epoch.clone());
            store.set_epoch_deadline(1);
            std::thread::Builder::new()
                .name("sowa-timeout".into())
                .spawn(move || {
                    std::thread::sleep(after);
                    loop {
                        epoch.increment();
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                })
                .map_err(|e| format!("--timeout: cannot start the timer thread: {e}"))?;
            (store, Some(1))
        }
        None => (Store::new(limits), None),
    };
    let mut linker = Linker::new();
    let program = args.file.display().to_string();
    let mut argv = vec![program];
    argv.extend(args.args.iter().cloned());
    let mut env: Vec<String> = Vec::new();
    if args.inherit_env {
        env.extend(std::env::vars().map(|(k, v)| format!("{k}={v}")));
    }
    for e in &args.env {
        if !e.contains('=') {
            return Err(format!("--env expects NAME=VALUE, got '{e}'"));
        }
        // A later setting of a name replaces an earlier (or inherited) one.
        let name = &e[..e.find('=').unwrap_or(0) + 1];
        env.retain(|v| !v.starts_with(name));
        env.push(e.clone());
    }
    let mut wasi = WasiCtx::new(argv, env);
    // Directories first, then sockets: wasi-libc stops looking for preopened directories at
    // the first descriptor that is not one.
    for d in &args.dirs {
        wasi.preopen(d).map_err(|e| format!("--dir {e}"))?;
    }
    for addr in &args.tcplisten {
        let l =
            std::net::TcpListener::bind(addr).map_err(|e| format!("--tcplisten {addr}: {e}"))?;
        wasi.preopen_listener(l)
            .map_err(|e| format!("--tcplisten {addr}: {e}"))?;
    }
    let ctx = Arc::new(Mutex::new(wasi));
    if WasiThreads::wanted_by(&module) {
        let epoch = store.epoch().clone();
        WasiThreads::new(&module, ctx, limits, epoch, deadline)?.add_to_linker(&mut linker, &store);
    } else {
        sowa_wasi::add_to_linker(&mut linker, ctx);
    }
    let instance = match linker.instantiate(&store, &module) {
        Ok(i) => i,
        Err(sowa_runtime::InstantiateError::Trap(t)) => return Ok(report_trap(&t)),
        Err(e @ sowa_runtime::InstantiateError::Resource(_)) if args.max_memory.is_some() => {
            return Err(format!("{e} (raise --max-memory)"))
        }
        Err(e @ sowa_runtime::InstantiateError::Link(_)) => {
            return Err(format!(
                "{e} (sowa run provides wasi_snapshot_preview1, wasi.thread-spawn and a shared \
                 memory: a module importing anything else needs a host program that defines \
                 it, through the Rust or C API)"
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    phases.mark("instantiate");
    match &args.invoke {
        Some(name) => {
            let f = instance
                .get_func(name)
                .ok_or_else(|| format!("no exported function '{name}'"))?;
            if f.ty().params.len() != args.args.len() {
                return Err(format!(
                    "'{name}' takes {} arguments, {} given",
                    f.ty().params.len(),
                    args.args.len()
                ));
            }
            let vals = args
                .args
                .iter()
                .zip(&f.ty().params)
                .map(|(s, t)| parse_arg(s, *t))
                .collect::<Result<Vec<_>, _>>()?;
            match f.call(&vals) {
                Ok(results) => {
                    for r in results {
                        println!("{r}");
                    }
                    Ok(0)
                }
                Err(t) => Ok(report_trap(&t)),
            }
        }
        None => {
            let start = instance
                .get_func("_start")
                .ok_or("the module exports no `_start`; use --invoke to call a function")?;
            let ty = start.ty();
            if !ty.params.is_empty() || !ty.results.is_empty() {
                return Err(format!(
                    "`_start` has type {:?} -> {:?}, not a WASI command's () -> (); use \
                     --invoke _start with arguments to call it",
                    ty.params, ty.results
                ));
            }
            let status = match start.call(&[]) {
                Ok(_) => 0,
                Err(t) => report_trap(&t),
            };
            phases.mark("run");
            Ok(status)
        }
    }
}

/// Makes sure descriptors 0, 1 and 2 are open (on `/dev/null` if not), as Rust's start-up does,
/// so that no file or socket the runner opens can become the program's stdout by accident.
fn sanitize_stdio() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: a valid array of three pollfd records; a zero timeout never blocks.
    if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } < 0 {
        return;
    }
    // In ascending order: each open takes the lowest free descriptor, which is the closed one
    // at hand since every lower one is open by then.
    for _ in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // SAFETY: opening a path with a valid C string; the descriptor is deliberately never
        // closed.
        unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
    }
}

/// The process entry (see the module comment for why it is not Rust's `main`).
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    sanitize_stdio();
    // A program writing to a closed pipe gets EPIPE (WASI's `PIPE`), not a dead runner.
    // SAFETY: setting a standard disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // glibc hands the arguments to std before `main` runs, so clap reads them as usual.
    let status = std::panic::catch_unwind(|| {
        let mut phases = Phases::start();
        let cli = Cli::parse();
        phases.mark("args");
        let r = match cli.command {
            Command::Run(a) => run(a, &mut phases),
            #[cfg(feature = "compiler")]
            Command::Compile(a) => sowa_compiler::cli::run(&a).map(|()| 0),
            #[cfg(feature = "inspect")]
            Command::Inspect(a) => inspect::run(&a).map(|text| {
                print!("{text}");
                0
            }),
        };
        // Dropping the instance, store and module was part of `run`'s return.
        phases.mark("teardown");
        phases.report();
        r.unwrap_or_else(|e| {
            eprintln!("error: {e}");
            1
        })
    })
    .unwrap_or(PANIC_STATUS);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    status.into()
}
