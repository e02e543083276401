//! `instantiate FILE.wasm [N]`: compiles a module once, then instantiates it N times (default
//! 100000) and prints the median time; a loop to look at under a profiler.

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: instantiate FILE.wasm [N]"))?;
    let n: usize = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let so = sowa_compiler::compile(&std::fs::read(path)?, &Default::default())?;
    let module = sowa_runtime::Module::from_bytes(&so)?;
    let linker = sowa_runtime::Linker::new();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = std::time::Instant::now();
        let store = sowa_runtime::Store::default();
        let i = linker.instantiate(&store, &module)?;
        std::hint::black_box(&i);
        times.push(t.elapsed());
    }
    times.sort();
    println!("median {:?}, p90 {:?}", times[n / 2], times[n * 9 / 10]);
    Ok(())
}
