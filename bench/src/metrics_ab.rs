//! The cost of metrics: `get_session` (user cache on) against two servers started
//! alike, one with the admin listener (and so the metrics recorder and the metering
//! decorators) and one without, measured in turns within the same run. Each side keeps
//! its best turn, so a burst of other work on the machine does not decide the row.

use std::net::Ipv4Addr;

use anyhow::{bail, Context};

use crate::processes::{self, Running};
use crate::report::Row;
use crate::Bench;

pub const SCENARIO: &str = "metrics_ab";
const OFF: &str = "session_cache_on_metrics_off";
const ON: &str = "session_cache_on_metrics_on";
/// Turns per side, alternating off and on.
const TURNS: usize = 3;

/// A server with the user cache on; with `admin` its admin listener is on that port.
async fn start(bench: &Bench, admin: Option<u16>) -> anyhow::Result<Running> {
    let env_file = bench
        .workdir
        .path()
        .join(format!("metrics-{}.env", admin.is_some()));
    let admin_line = admin.map_or(String::new(), |port| {
        format!("FAROE_ADMIN_ADDR=127.0.0.1:{port}\n")
    });
    std::fs::write(&env_file, admin_line)?;
    let settings = processes::ServerSettings {
        env_file,
        ..bench.server_settings(bench.fresh_database(), "60s", "off")
    };
    processes::start_server(&bench.binaries, &settings, &bench.settings.client).await
}

/// How many `get_session` the metered server counted, from its exposition.
async fn counted_sessions(bench: &Bench, admin: u16) -> anyhow::Result<f64> {
    let body = bench
        .settings
        .client
        .get(format!("http://127.0.0.1:{admin}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|line| Ok(line.to_owned())))?;
    Ok(scrape
        .samples
        .iter()
        .filter(|sample| {
            sample.metric == "tiauth_actions_total"
                && sample.labels.get("action") == Some("get_session")
        })
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(value) => value,
            _ => 0.0,
        })
        .sum())
}

fn best(rows: Vec<Row>) -> Option<Row> {
    rows.into_iter()
        .max_by(|a, b| a.per_second.total_cmp(&b.per_second))
}

/// Adds the two rows; the metered one is compared with the other.
pub async fn run(bench: &Bench, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let admin = processes::free_port(Ipv4Addr::LOCALHOST)?;
    let off = start(bench, None).await?;
    let on = start(bench, Some(admin)).await?;
    let off_load = bench.valid_sessions(&off).await?;
    let on_load = bench.valid_sessions(&on).await?;
    let (mut off_rows, mut on_rows) = (Vec::new(), Vec::new());
    for _ in 0..TURNS {
        off_rows.push(bench.http_scenario(OFF, None, &off, &off_load).await?);
        on_rows.push(bench.http_scenario(ON, Some(OFF), &on, &on_load).await?);
    }
    let counted = counted_sessions(bench, admin)
        .await
        .context("cannot scrape the metered server")?;
    let served: u64 = on_rows.iter().map(|row| row.successes).sum();
    if counted < served as f64 {
        bail!("the metered server counted {counted} get_session, fewer than the {served} served");
    }
    off.stop().await;
    on.stop().await;
    let (Some(off_row), Some(on_row)) = (best(off_rows), best(on_rows)) else {
        bail!("no turns measured");
    };
    let ratio = on_row.per_second / off_row.per_second.max(f64::MIN_POSITIVE);
    eprintln!(
        "bench: {SCENARIO}: metrics on / off throughput {ratio:.3} (target at least 0.95), \
         {counted} get_session counted by the metered server"
    );
    rows.push(off_row);
    rows.push(on_row);
    Ok(())
}
