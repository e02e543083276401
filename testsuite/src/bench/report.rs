//! The benchmark report: a markdown table and an SVG bar chart.

use super::{geomean, Results};
use std::fmt::Write;
use std::time::Duration;

/// Runtime columns, in the order of `Row::times` (indices in [`mod@column`]).
pub const RUNTIMES: [&str; 7] = [
    "native clang -O2",
    "native gcc -O2",
    "sowa (AOT .so)",
    "Wasmtime JIT",
    "Wasmtime AOT pooling",
    "sowa, -msimd128",
    "Wasmtime AOT, -msimd128",
];

/// Indices into [`RUNTIMES`] of the columns the report compares.
pub mod column {
    /// Native clang -O2, the base of every ratio to native.
    pub const CLANG: usize = 0;
    /// sowa on the scalar build.
    pub const SOWA: usize = 2;
    /// Wasmtime AOT on the scalar build.
    pub const WASMTIME_AOT: usize = 4;
    /// sowa on the `-msimd128` build.
    pub const SOWA_SIMD: usize = 5;
    /// Wasmtime AOT on the `-msimd128` build.
    pub const WASMTIME_AOT_SIMD: usize = 6;
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6)
}

/// Ratio of each runtime's median time to native clang's, per row.
fn ratios(r: &Results) -> Vec<Vec<f64>> {
    r.rows
        .iter()
        .map(|row| {
            let base = row.times[column::CLANG].median.as_secs_f64();
            row.times
                .iter()
                .map(|t| t.median.as_secs_f64() / base)
                .collect()
        })
        .collect()
}

/// The median of per-round ratios (sorted in place); NaN for none.
fn median_ratio(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The report as markdown.
pub fn markdown(r: &Results) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Measured on: {}\n", r.machine);
    let rounds = r.rows.first().map_or(0, |row| row.epoch_cost.len());
    let _ = writeln!(
        s,
        "Execution time of `run()` in ms, median of {rounds} rounds (each round runs every \
         column once, in turn), and ratio to native clang -O2:\n"
    );
    let _ = writeln!(s, "| workload | {} | checksums |", RUNTIMES.join(" | "));
    let _ = writeln!(s, "|---|{}---|", "---:|".repeat(RUNTIMES.len()));
    let rat = ratios(r);
    for (row, ratio) in r.rows.iter().zip(&rat) {
        let cells: Vec<String> = row
            .times
            .iter()
            .zip(ratio)
            .enumerate()
            .map(|(i, (t, x))| {
                if i == column::CLANG {
                    ms(t.median)
                } else {
                    format!("{} ({x:.2}x)", ms(t.median))
                }
            })
            .collect();
        let ok = if row.checksums_agree {
            "agree"
        } else {
            "DIFFER"
        };
        let _ = writeln!(s, "| {} | {} | {ok} |", row.name, cells.join(" | "));
    }
    let geo: Vec<String> = (0..RUNTIMES.len())
        .map(|i| {
            format!(
                "{:.2}x",
                geomean(&rat.iter().map(|x| x[i]).collect::<Vec<_>>())
            )
        })
        .collect();
    let _ = writeln!(s, "| **geomean** | {} | |", geo.join(" | "));

    spread(&mut s, r);
    versus_wasmtime(&mut s, r);
    epoch_cost(&mut s, r);

    let _ = writeln!(s, "\nCompile time (ms) and artifact size (KiB):\n");
    let _ = writeln!(
        s,
        "| workload | sowac | Wasmtime | sowa .so | Wasmtime .cwasm |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for row in &r.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} | {:.1} |",
            row.name,
            ms(row.compile.0),
            ms(row.compile.1),
            row.sizes.0 as f64 / 1024.0,
            row.sizes.1 as f64 / 1024.0
        );
    }

    if r.instantiation.is_empty() {
        return s; // `--only`: the execution tables alone
    }
    let _ = writeln!(
        s,
        "\nInstantiation, module already loaded (µs; median of 5 alternating rounds, each the \
         median of its instantiations; teardown left out on both sides):\n"
    );
    let _ = writeln!(
        s,
        "| module | sowa, new store | sowa, store reset | Wasmtime pooling + CoW | Wasmtime / sowa (reset) |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for (name, a, b, w) in &r.instantiation {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {:.1}x |",
            us(*a),
            us(*b),
            us(*w),
            w.as_secs_f64() / b.as_secs_f64()
        );
    }

    startup(&mut s, &r.startup);
    real(&mut s, &r.real, r.real_skipped.as_deref());
    if !r.gc.is_empty() {
        gc(&mut s, &r.gc);
    }
    let _ = writeln!(
        s,
        "\nPeak RSS running `{}` as a whole process (KiB):\n",
        r.largest
    );
    let _ = writeln!(s, "| runtime | peak RSS (KiB) |");
    let _ = writeln!(s, "|---|---:|");
    for (label, rss) in &r.largest_rss {
        let _ = writeln!(s, "| {label} | {rss} |");
    }

    let (mib, io) = &r.fileio;
    let _ = writeln!(
        s,
        "\nWASI file I/O: writing then reading a {mib} MiB file in 1 MiB calls (median of 5 rounds, runtimes interleaved, after one unmeasured round):\n"
    );
    let _ = writeln!(
        s,
        "| runtime | write MiB/s | read MiB/s | write time vs native | read time vs native |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    if let Some((_, _, nw, nr)) = io.first() {
        for (label, _, w, rd) in io {
            let _ = writeln!(
                s,
                "| {label} | {:.0} | {:.0} | {:.2}x | {:.2}x |",
                *mib as f64 / w.as_secs_f64(),
                *mib as f64 / rd.as_secs_f64(),
                w.as_secs_f64() / nw.as_secs_f64(),
                rd.as_secs_f64() / nr.as_secs_f64()
            );
        }
    }
    s
}

fn ms2(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn stats(st: &super::Stats) -> String {
    format!("{} ({}-{})", ms2(st.median), ms2(st.min), ms2(st.max))
}

/// The start-up sections of the report.
pub fn startup(s: &mut String, st: &super::startup::Startup) {
    let _ = writeln!(
        s,
        "\nCold start of a C hello world, whole process, runs interleaved; wall time in ms, \
         median (min-max):\n"
    );
    let _ = writeln!(
        s,
        "| runtime | ms | median over native | peak RSS (KiB) | runner stripped (bytes) |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    let native = st.hello.first().map(|c| c.wall.median).unwrap_or_default();
    for row in &st.hello {
        let size = row.runner_size.map_or("".into(), |b| b.to_string());
        let _ = writeln!(
            s,
            "| {} | {} | {:+.3} ms | {} | {size} |",
            row.label,
            stats(&row.wall),
            (row.wall.median.as_secs_f64() - native.as_secs_f64()) * 1e3,
            row.rss_kib
        );
    }
    if let Some(first) = st.breakdown.first() {
        let _ = writeln!(
            s,
            "\nWhere a cold start goes (median µs per phase; `SOWA_STARTUP_TRACE=1` makes the \
             runner report its phases):\n"
        );
        let names: Vec<&str> = first.phases.iter().map(|p| p.0.as_str()).collect();
        let _ = writeln!(s, "| runner | {} | total |", names.join(" | "));
        let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(names.len()));
        for b in &st.breakdown {
            let cells: Vec<String> = b.phases.iter().map(|p| us(p.1)).collect();
            let total: Duration = b.phases.iter().map(|p| p.1).sum();
            let _ = writeln!(s, "| {} | {} | {} |", b.label, cells.join(" | "), us(total));
        }
    }
    let _ = writeln!(
        s,
        "\nStart of real programs (not checked in; `testsuite/bench/fetch-real.sh` fetches \
         them), runs interleaved; wall time in ms, median (min-max), and peak RSS:\n"
    );
    if let Some(why) = &st.real_skipped {
        let _ = writeln!(s, "Skipped: {why}.");
        return;
    }
    let _ = writeln!(
        s,
        "| program | sowa | Wasmtime (.cwasm) | ratio of medians | peak RSS sowa / Wasmtime (KiB) | same output and status |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
    for r in &st.real {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2}x | {} / {} | {} |",
            r.label,
            stats(&r.sowa),
            stats(&r.wasmtime),
            r.sowa.median.as_secs_f64() / r.wasmtime.median.as_secs_f64(),
            r.rss_kib.0,
            r.rss_kib.1,
            if r.same_output { "yes" } else { "NO" }
        );
    }
}

/// A bar chart of execution time ratios to native clang (lower is better).
pub fn svg(r: &Results) -> String {
    let rat = ratios(r);
    let colors = ["#888", "#bbb", "#2a7", "#c63", "#e93", "#7d9", "#fc8"];
    let shown = [
        column::SOWA,
        column::WASMTIME_AOT,
        column::SOWA_SIMD,
        column::WASMTIME_AOT_SIMD,
    ];
    let bar = 12.0;
    let group = bar * shown.len() as f64 + 14.0;
    let left = 110.0;
    let width = 760.0;
    let max = rat
        .iter()
        .flat_map(|x| shown.iter().map(move |i| x[*i]))
        .fold(1.0f64, f64::max);
    let scale = (width - left - 40.0) / max;
    let height = 40.0 + group * r.rows.len() as f64 + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="18" font-size="14">Execution time relative to native clang -O2 (lower is better)</text>"#
    );
    let x1 = left + scale;
    let _ = writeln!(
        s,
        r#"<line x1="{x1}" y1="28" x2="{x1}" y2="{}" stroke="black" stroke-dasharray="3,3"/>"#,
        height - 30.0
    );
    for (gi, (row, ratio)) in r.rows.iter().zip(&rat).enumerate() {
        let y0 = 34.0 + gi as f64 * group;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y0 + group / 2.0,
            row.name
        );
        for (k, i) in shown.iter().enumerate() {
            let y = y0 + k as f64 * bar;
            let w = ratio[*i] * scale;
            let _ = writeln!(
                s,
                r#"<rect x="{left}" y="{y}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}">{:.2}</text>"#,
                bar - 2.0,
                colors[*i],
                left + w + 3.0,
                y + bar - 3.0,
                ratio[*i]
            );
        }
    }
    let ly = height - 14.0;
    for (k, i) in shown.iter().enumerate() {
        let x = left + k as f64 * 150.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{ly}">{}</text>"#,
            ly - 9.0,
            colors[*i],
            x + 14.0,
            RUNTIMES[*i]
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Real programs run to completion (see [`super::real`]).
/// The GC workloads' table.
pub fn gc(s: &mut String, rows: &[super::gc::GcRun]) {
    let _ = writeln!(
        s,
        "\nGC workloads (`testsuite/bench/gc`, WAT), rounds alternating sowa and Wasmtime AOT in \
         one process, each run in a fresh store; wall time in ms, median (min-max), sowa's time \
         over Wasmtime's per round (median, min-max), peak RSS of a whole process, and sowa's \
         collector in one run (Wasmtime reports no pauses):\n"
    );
    let _ = writeln!(
        s,
        "| workload | sowa | Wasmtime | sowa / Wasmtime | peak RSS sowa / Wasmtime (KiB) | collections | pause total / longest (ms) | peak heap (MiB) |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let mut v = r.ratio.clone();
        let med = median_ratio(&mut v);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {med:.3} ({:.3}-{:.3}) | {} / {} | {} | {:.1} / {:.1} | {:.1} |",
            r.name,
            stats(&r.sowa),
            stats(&r.wasmtime),
            v.first().copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN),
            r.rss_kib.0,
            r.rss_kib.1,
            r.collections,
            r.pause_total.as_secs_f64() * 1e3,
            r.pause_max.as_secs_f64() * 1e3,
            r.peak_heap as f64 / (1 << 20) as f64,
        );
    }
}

pub fn real(s: &mut String, rows: &[super::real::RealRun], skipped: Option<&str>) {
    let _ = writeln!(
        s,
        "\nReal programs run to completion, whole processes, rounds alternating sowa and Wasmtime \
         (each on its own ahead-of-time build for this CPU); wall time in s, median (min-max), \
         sowa's time over Wasmtime's per round (median, min-max), and peak RSS:\n"
    );
    if let Some(why) = skipped {
        let _ = writeln!(s, "Skipped: {why}.");
        return;
    }
    let _ = writeln!(
        s,
        "| program | sowa | Wasmtime | sowa / Wasmtime | peak RSS sowa / Wasmtime (KiB) | same output and files |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
    let sec = |st: &super::Stats| {
        format!(
            "{:.3} ({:.3}-{:.3})",
            st.median.as_secs_f64(),
            st.min.as_secs_f64(),
            st.max.as_secs_f64()
        )
    };
    let mut medians = Vec::new();
    for r in rows {
        let mut v = r.ratio.clone();
        let med = median_ratio(&mut v);
        medians.push(med);
        let same = match &r.difference {
            None => "yes".to_string(),
            Some(what) => format!("NO: {what}"),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {med:.3} ({:.3}-{:.3}) | {} / {} | {same} |",
            r.label,
            sec(&r.sowa),
            sec(&r.wasmtime),
            v.first().copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN),
            r.rss_kib.0,
            r.rss_kib.1
        );
    }
    if !medians.is_empty() {
        let _ = writeln!(s, "| **geomean** | | | {:.3} | | |", geomean(&medians));
    }
    let _ = writeln!(
        s,
        "\nCompiling them, whole processes (`sowa compile --cpu native` and Wasmtime's \
         `precompile_module`, each on every core): wall time in s and peak RSS in MiB:\n"
    );
    let _ = writeln!(
        s,
        "| program | sowa | Wasmtime | sowa / Wasmtime | RSS sowa | RSS Wasmtime |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let (a, b) = r.compile;
        let _ = writeln!(
            s,
            "| {} | {:.2} | {:.2} | {:.2}x | {:.0} | {:.0} |",
            r.label.split(':').next().unwrap_or(&r.label),
            a.as_secs_f64(),
            b.as_secs_f64(),
            a.as_secs_f64() / b.as_secs_f64(),
            r.compile_rss_kib.0 as f64 / 1024.0,
            r.compile_rss_kib.1 as f64 / 1024.0
        );
    }
}

/// The noise: each column's fastest and slowest round.
fn spread(s: &mut String, r: &Results) {
    let _ = writeln!(
        s,
        "\nSpread of the same rounds: fastest-slowest round in ms (a wide range is a busy \
         machine, not the runtime):\n"
    );
    let _ = writeln!(s, "| workload | {} |", RUNTIMES.join(" | "));
    let _ = writeln!(s, "|---|{}", "---:|".repeat(RUNTIMES.len()));
    for row in &r.rows {
        let cells: Vec<String> = row
            .times
            .iter()
            .map(|t| format!("{}-{}", ms(t.min), ms(t.max)))
            .collect();
        let _ = writeln!(s, "| {} | {} |", row.name, cells.join(" | "));
    }
}

/// sowa against Wasmtime AOT, round by round: the figure the project's goals are stated in.
fn versus_wasmtime(s: &mut String, r: &Results) {
    let _ = writeln!(
        s,
        "\nsowa's time over Wasmtime AOT's in the same round (below 1: sowa is faster); min / \
         median / max over the rounds, scalar and `-msimd128` builds:\n"
    );
    let _ = writeln!(
        s,
        "| workload | scalar min | scalar median | scalar max | SIMD min | SIMD median | SIMD max |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    let mut medians = [Vec::new(), Vec::new()];
    for row in &r.rows {
        let mut cells = Vec::new();
        for (k, ratios) in row.vs_wasmtime.iter().enumerate() {
            let mut v = ratios.clone();
            let med = median_ratio(&mut v);
            medians[k].push(med);
            let (lo, hi) = (v.first().copied(), v.last().copied());
            let f = |x: Option<f64>| x.map_or("".into(), |x| format!("{x:.3}"));
            cells.push(format!("{} | {med:.3} | {}", f(lo), f(hi)));
        }
        let _ = writeln!(s, "| {} | {} |", row.name, cells.join(" | "));
    }
    let _ = writeln!(
        s,
        "| **geomean** | | {:.3} | | | {:.3} | |",
        geomean(&medians[0]),
        geomean(&medians[1])
    );
}

/// What being stoppable costs a guest: sowa's time in a store with a deadline on an epoch
/// ticking every millisecond over its time in a plain store, from the rounds both ran in.
fn epoch_cost(s: &mut String, r: &Results) {
    let _ = writeln!(
        s,
        "\nCost of a deadline (time with a deadline and an epoch ticking every ms / without, \
         per round; min / median / max):\n"
    );
    let _ = writeln!(s, "| workload | min | median | max |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let mut medians = Vec::new();
    for row in &r.rows {
        let mut v = row.epoch_cost.clone();
        if v.is_empty() {
            continue;
        }
        let med = median_ratio(&mut v);
        medians.push(med);
        let _ = writeln!(
            s,
            "| {} | {:.3} | {med:.3} | {:.3} |",
            row.name,
            v[0],
            v[v.len() - 1]
        );
    }
    if !medians.is_empty() {
        let _ = writeln!(s, "| **geomean** | | {:.3} | |", geomean(&medians));
    }
}
