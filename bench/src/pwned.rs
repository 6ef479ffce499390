//! The breached-password check against a local corpus: a sorted `SHA1HEX:COUNT` file of
//! N lines generated in the bench's temporary folder (and removed afterwards), looked up
//! through the server's own `PwnedPasswords` in this process, and then through a server
//! started with `FAROE_PWNED_PASSWORDS=file:PATH`, against the same server with a
//! 1 k-line corpus, to show that its memory does not grow with the file.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use serde_json::json;
use sha1::{Digest, Sha1};
use tiauth_faroe::pwned::{Corpus, PwnedPasswords, Verdict};

use crate::load::run_closed_loop;
use crate::report::{self, Row};
use crate::{bulk, check_answer, Bench, NOT_OK_ANSWER};

/// Passwords written into every generated corpus, which the scenarios look up.
const LISTED: usize = 1_000;
/// Lines of the small corpus the server's memory is compared with.
const SMALL_CORPUS: u64 = 1_000;
const WEAK_PASSWORD_ANSWER: &[u8] = b"\"error_code\":\"weak_password\"}";

fn listed_password(index: usize) -> String {
    format!("bench breached password {index}")
}

/// Writes `lines` lines sorted by hash to `path`: the listed passwords' hashes merged
/// into evenly spread pseudo-random ones, in the downloadable corpus's format
/// (upper-case hex, CRLF).
fn write_corpus(path: &Path, lines: u64, seed: u64) -> anyhow::Result<()> {
    let mut listed: Vec<(String, usize)> = (0..LISTED)
        .map(|index| {
            (
                hex::encode_upper(Sha1::digest(listed_password(index))),
                index,
            )
        })
        .collect();
    listed.sort_unstable();
    let mut listed = listed.into_iter().peekable();
    // Each generated line gets its own slice of the space of the first 128 bits.
    let generated = lines.saturating_sub(LISTED as u64).max(1);
    let step = u128::MAX / u128::from(generated);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for index in 0..generated {
        let random =
            u128::from(bulk::mix(seed ^ index)) << 64 | u128::from(bulk::mix(!seed ^ index));
        let top = u128::from(index) * step + random % step;
        let low = bulk::mix(seed.rotate_left(17) ^ index) as u32;
        let hash = format!("{top:032X}{low:08X}");
        while let Some((listed_hash, listed_index)) =
            listed.next_if(|(listed_hash, _)| *listed_hash <= hash)
        {
            write!(out, "{listed_hash}:{}\r\n", 10 + listed_index)?;
        }
        write!(out, "{hash}:{}\r\n", 1 + bulk::mix(index) % 1000)?;
    }
    for (listed_hash, listed_index) in listed {
        write!(out, "{listed_hash}:{}\r\n", 10 + listed_index)?;
    }
    out.flush()?;
    Ok(())
}

/// Generates a corpus of `lines` lines in the bench's folder; returns its path.
async fn generate(bench: &Bench, lines: u64) -> anyhow::Result<PathBuf> {
    let path = bench.workdir.path().join(format!("pwned-{lines}.txt"));
    let started = Instant::now();
    let (target, seed) = (path.clone(), rand::random::<u64>());
    tokio::task::spawn_blocking(move || write_corpus(&target, lines, seed)).await??;
    let bytes = std::fs::metadata(&path)?.len();
    eprintln!(
        "bench: corpus of {lines} lines ({:.0} MiB) written in {:.1?}",
        bytes as f64 / (1024.0 * 1024.0),
        started.elapsed()
    );
    Ok(path)
}

/// Lookups through `PwnedPasswords` in this process, half listed, half not; each
/// verdict is checked.
async fn lookup_row(bench: &Bench, corpus: &Path, lines: u64) -> anyhow::Result<Row> {
    let corpus = Corpus::open_local(corpus).context("opening the generated corpus")?;
    let checker = Arc::new(PwnedPasswords::new(corpus, 1, true));
    let operation = move |worker: usize, iteration: u64| {
        let checker = Arc::clone(&checker);
        async move {
            let listed = iteration % 2 == 0;
            let password = if listed {
                listed_password((worker * 7919 + iteration as usize) % LISTED)
            } else {
                format!("bench unlisted password {worker} {iteration}")
            };
            match (checker.check(&password).await, listed) {
                (Ok(Verdict::Breached(_)), true) | (Ok(Verdict::NotFound), false) => Ok(()),
                (other, _) => Err(format!("{password:?}: {other:?}")),
            }
        }
    };
    let name = format!(
        "{}{}",
        report::PWNED_LOOKUP_PREFIX,
        report::size_label(lines)
    );
    let operation = Arc::new(operation);
    // The file was just written, so its pages are cached; the warm-up reaches them.
    // One lookup at a time: the row shows what a lookup costs, not how lookups queue
    // for two cores (the server rows show the check under load).
    run_closed_loop(1, bench.settings.warm_up, Arc::clone(&operation)).await;
    Ok(bench
        .measure(
            &name,
            None,
            std::process::id(),
            run_closed_loop(1, bench.settings.duration, operation),
        )
        .await)
}

/// `set_signup_password` with listed passwords on a server checking `corpus`: each
/// answer must be `weak_password`. The row's peak memory is the server's.
async fn server_row(
    bench: &Bench,
    corpus: &Path,
    lines: u64,
    ceiling: Option<&str>,
) -> anyhow::Result<Row> {
    let server = bench
        .start_server_checking(
            bench.fresh_database(),
            "0",
            &format!("file:{}", corpus.display()),
        )
        .await?;
    let api = bench.api(&server);
    let mut tokens = Vec::with_capacity(bench.settings.concurrency);
    for _ in 0..bench.settings.concurrency {
        tokens.push(api.verified_signup(&bench.fresh_email("pwned")).await?);
    }
    let client = bench.settings.client.clone();
    let url = format!("{}/", server.url);
    let operation = move |worker: usize, iteration: u64| {
        let password = listed_password((worker * 7919 + iteration as usize) % LISTED);
        let body = json!({
            "action": "set_signup_password",
            "arguments": {"signup_token": tokens[worker % tokens.len()], "password": password}
        });
        let sent = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(Bytes::from(body.to_string()))
            .send();
        async move { check_answer(sent.await, NOT_OK_ANSWER, WEAK_PASSWORD_ANSWER).await }
    };
    let name = format!(
        "{}{}",
        report::PWNED_SERVER_PREFIX,
        report::size_label(lines)
    );
    let row = bench.closed_loop(&name, ceiling, &server, operation).await;
    server.stop().await;
    Ok(row)
}

/// The corpus rows: in-process lookups on `lines` lines, then the server with a small
/// corpus and with the large one. Every corpus file is removed afterwards.
pub async fn run(bench: &Bench, lines: u64, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let large = generate(bench, lines).await?;
    let small = generate(bench, SMALL_CORPUS).await?;
    let outcome = async {
        rows.push(lookup_row(bench, &large, lines).await?);
        let small_row = server_row(bench, &small, SMALL_CORPUS, None).await?;
        let small_name = small_row.name.clone();
        rows.push(small_row);
        rows.push(server_row(bench, &large, lines, Some(&small_name)).await?);
        anyhow::Ok(())
    }
    .await;
    for path in [&large, &small] {
        let _ = std::fs::remove_file(path);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_corpus_is_sorted_and_lists_every_known_password() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("corpus.txt");
        write_corpus(&path, 5_000, 7).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        let hashes: Vec<&str> = text.lines().map(|line| &line[..40]).collect();
        assert_eq!(hashes.len(), 5_000);
        assert!(hashes.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(text.ends_with("\r\n"));
        let corpus = tiauth_faroe::pwned::SortedFile::open(&path).expect("opens");
        for index in [0, 1, 500, LISTED - 1] {
            let hash = hex::encode_upper(Sha1::digest(listed_password(index)));
            assert_eq!(corpus.count(hash.as_bytes()), Ok(10 + index as u64));
        }
        let unlisted = hex::encode_upper(Sha1::digest("bench unlisted password 0 1"));
        assert_eq!(corpus.count(unlisted.as_bytes()), Ok(0));
    }
}
