//! The results table: reads what `run.sh` measured (the load generator's JSON, the first-text
//! timings, the gateway's memory) and writes markdown comparing the gateway with direct calls.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

/// The targets this machine is held to.
const ADDED_P99_TARGET_MS: f64 = 0.5;
const THROUGHPUT_TARGET_PERCENT: f64 = 15.0;
const RSS_TARGET_MB: f64 = 80.0;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where `run.sh` left its measurements.
    #[arg(long)]
    dir: PathBuf,
    /// The markdown file to write (the table is printed too).
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    date: String,
    /// The fixed request rate of the rate row.
    #[arg(long)]
    rate: u32,
    #[arg(long)]
    in_flight: u32,
    /// The simulator's latency during the memory row.
    #[arg(long)]
    slow_latency_ms: u32,
}

/// One load-generator run, in milliseconds and requests per second.
struct Run {
    p50: f64,
    p99: f64,
    rps: f64,
    failed: u64,
}

impl Run {
    fn read(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let json = read_json(&dir.join(format!("{name}.json")))?;
        let succeeded = json["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
        let answered: u64 = numbers(&json["statusCodeDistribution"]).sum();
        let errors: u64 = numbers(&json["errorDistribution"]).sum();
        let seconds = |key: &str| json["latencyPercentiles"][key].as_f64().unwrap_or(f64::NAN);
        Ok(Self {
            p50: seconds("p50") * 1000.0,
            p99: seconds("p99") * 1000.0,
            rps: json["summary"]["requestsPerSec"]
                .as_f64()
                .unwrap_or(f64::NAN),
            failed: answered.saturating_sub(succeeded) + errors,
        })
    }
}

/// Reads one percentile of a run.
type Percentile = fn(&Run) -> f64;

fn numbers(object: &Value) -> impl Iterator<Item = u64> + '_ {
    object
        .as_object()
        .into_iter()
        .flat_map(|map| map.values().filter_map(Value::as_u64))
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Direct and gateway runs of one scenario.
struct Pair {
    direct: Run,
    gateway: Run,
}

impl Pair {
    fn read(dir: &Path, scenario: &str) -> anyhow::Result<Self> {
        Ok(Self {
            direct: Run::read(dir, &format!("{scenario}-direct"))?,
            gateway: Run::read(dir, &format!("{scenario}-gateway"))?,
        })
    }
}

pub fn write(args: &Args) -> anyhow::Result<()> {
    let dir = &args.dir;
    let latency = Pair::read(dir, "latency")?;
    let throughput = Pair::read(dir, "throughput")?;
    let rate = Pair::read(dir, "rate")?;
    let in_flight = Pair::read(dir, "inflight")?;
    let stream_direct = read_json(&dir.join("stream-direct.json"))?;
    let stream_gateway = read_json(&dir.join("stream-gateway.json"))?;
    let memory = read_json(&dir.join("memory.json"))?;
    let megabytes = |key: &str| memory[key].as_f64().unwrap_or(f64::NAN) / 1024.0;
    let (idle_mb, peak_mb) = (megabytes("idle_kib"), megabytes("peak_kib"));
    let first_text = |json: &Value, p: &str| json["first_text_ms"][p].as_f64().unwrap_or(f64::NAN);

    let added_p99 = latency.gateway.p99 - latency.direct.p99;
    let share = 100.0 * throughput.gateway.rps / throughput.direct.rps;
    let loads = [&latency, &throughput, &rate, &in_flight];
    let direct_failed: u64 = loads.iter().map(|pair| pair.direct.failed).sum();
    let gateway_failed: u64 = loads.iter().map(|pair| pair.gateway.failed).sum();

    let mut md = String::new();
    writeln!(md, "# Load benchmark results\n")?;
    writeln!(
        md,
        "{} on {} ({} cores). Gateway release build on SQLite, telemetry on, rate limit and daily \
         cap enforced, access logs at info. The load generator, the simulator and the gateway \
         share these cores, so every gateway figure also pays for the load on the same machine. \
         Load average (1 and 5 minutes) when the run ended: {}; above the core count, other \
         processes competed for the CPU too.\n",
        args.date,
        cpu_model(),
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average(),
    )?;
    writeln!(
        md,
        "| measure | direct to the simulator | through the gateway | gateway's part | target |"
    )?;
    writeln!(md, "|---|---|---|---|---|")?;
    let percentiles: [(&str, Percentile); 2] = [("p50", |r| r.p50), ("p99", |r| r.p99)];
    for (label, run) in percentiles {
        let (direct, gateway) = (run(&latency.direct), run(&latency.gateway));
        let target = if label == "p99" {
            verdict(
                added_p99 <= ADDED_P99_TARGET_MS,
                &format!("≤ {ADDED_P99_TARGET_MS} ms added"),
            )
        } else {
            String::new()
        };
        writeln!(
            md,
            "| latency at concurrency 1, {label} | {direct:.3} ms | {gateway:.3} ms | +{:.3} ms | {target} |",
            gateway - direct
        )?;
    }
    writeln!(
        md,
        "| throughput at concurrency 64 | {:.0} req/s | {:.0} req/s | {share:.1} % of direct | {} |",
        throughput.direct.rps,
        throughput.gateway.rps,
        verdict(
            share >= THROUGHPUT_TARGET_PERCENT,
            &format!("≥ {THROUGHPUT_TARGET_PERCENT} %")
        ),
    )?;
    writeln!(
        md,
        "| p99 at a fixed {} req/s | {:.3} ms ({:.0} req/s done) | {:.3} ms ({:.0} req/s done) | +{:.3} ms | |",
        args.rate,
        rate.direct.p99,
        rate.direct.rps,
        rate.gateway.p99,
        rate.gateway.rps,
        rate.gateway.p99 - rate.direct.p99,
    )?;
    writeln!(
        md,
        "| {} in flight at {} ms upstream: p50 | {:.1} ms | {:.1} ms | +{:.1} ms | |",
        args.in_flight,
        args.slow_latency_ms,
        in_flight.direct.p50,
        in_flight.gateway.p50,
        in_flight.gateway.p50 - in_flight.direct.p50,
    )?;
    writeln!(
        md,
        "| gateway peak RSS with {} in flight | | {peak_mb:.1} MB (idle {idle_mb:.1} MB) | | {} |",
        args.in_flight,
        verdict(peak_mb <= RSS_TARGET_MB, &format!("≤ {RSS_TARGET_MB} MB")),
    )?;
    for p in ["p50", "p99"] {
        let (direct, gateway) = (
            first_text(&stream_direct, p),
            first_text(&stream_gateway, p),
        );
        writeln!(
            md,
            "| streaming, time to first text, {p} | {direct:.3} ms | {gateway:.3} ms | +{:.3} ms | |",
            gateway - direct
        )?;
    }
    writeln!(
        md,
        "| requests not answered 200 (all load runs) | {direct_failed} | {gateway_failed} | | 0 |"
    )?;
    if direct_failed + gateway_failed > 0 {
        writeln!(
            md,
            "\nSome requests failed: the figures above are not to be trusted."
        )?;
    }

    std::fs::write(&args.out, &md).with_context(|| format!("writing {}", args.out.display()))?;
    std::io::stdout().write_all(md.as_bytes())?;
    Ok(())
}

fn verdict(met: bool, target: &str) -> String {
    format!("{target}: {}", if met { "met" } else { "**missed**" })
}

/// The processor's marketing name, as the kernel reports it.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "an unknown CPU".to_owned())
}

/// The kernel's 1- and 5-minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}
