//! The local corpus in both layouts, generated here: lookups at the edges, odd but
//! valid lines, broken files, the minimum count and the fail-open rule.

use std::collections::HashMap;
use std::path::Path;

use proptest::prelude::*;
use sha1::{Digest, Sha1};

use super::testing::{assert_no_secret, write, Logs, HASH, PASSWORD, PREFIX, SUFFIX};
use super::*;
use crate::faroe::passwords::{PasswordStrengthChecker, StrengthCheckError};

/// Hashes of `count` made-up passwords, sorted, upper case.
fn filler(count: usize) -> Vec<String> {
    let mut hashes: Vec<String> = (0..count)
        .map(|i| hex::encode_upper(Sha1::digest(format!("filler {i}"))))
        .collect();
    hashes.sort();
    hashes
}

/// A sorted corpus of `entries` (hash, count), each line ended by `newline`.
fn sorted_text(entries: &[(String, u64)], newline: &str) -> String {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|(hash, _)| hash.to_ascii_uppercase());
    entries
        .iter()
        .map(|(hash, count)| format!("{hash}:{count}{newline}"))
        .collect()
}

/// The filler, counted 3 each, plus `extra`.
fn corpus_with(extra: &[(&str, u64)]) -> Vec<(String, u64)> {
    let mut entries: Vec<(String, u64)> = filler(400).into_iter().map(|h| (h, 3)).collect();
    entries.extend(
        extra
            .iter()
            .map(|(hash, count)| ((*hash).to_owned(), *count)),
    );
    entries
}

fn open_file(path: &Path) -> SortedFile {
    SortedFile::open(path).expect("corpus opens")
}

fn count_in(file: &SortedFile, hash: &str) -> u64 {
    file.count(hash.to_ascii_uppercase().as_bytes())
        .expect("lookup")
}

fn checker(corpus: Corpus, min_count: u64, fail_closed: bool) -> PwnedPasswords {
    PwnedPasswords::new(corpus, min_count, fail_closed)
}

/// `HASH` with its last hex digit replaced.
fn neighbour(last: char) -> String {
    format!("{}{last}", &HASH[..39])
}

#[test]
fn the_first_the_last_and_a_middle_hash_are_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let entries = corpus_with(&[]);
    let path = write(dir.path(), "corpus.txt", &sorted_text(&entries, "\r\n"));
    assert!(std::fs::metadata(&path).expect("size").len() > 4 * 4096);
    let file = open_file(&path);
    let hashes = filler(400);
    for hash in [
        &hashes[0],
        &hashes[399],
        &hashes[200],
        &hashes[57],
        &hashes[398],
    ] {
        assert_eq!(count_in(&file, hash), 3, "{hash}");
    }
    assert_eq!(count_in(&file, HASH), 0);
    assert_eq!(count_in(&file, &"0".repeat(40)), 0);
    assert_eq!(count_in(&file, &"F".repeat(40)), 0);
}

#[test]
fn a_corpus_far_from_evenly_spread_is_still_searched_to_the_end() {
    // All but one hash share their first 16 digits, and the one left is the largest
    // possible: placing probes by an even spread points nowhere near most of them.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut entries: Vec<(String, u64)> = (0..2_000)
        .map(|i| (format!("{}{i:024X}", "8".repeat(16)), 1 + i % 7))
        .collect();
    entries.push(("F".repeat(40), 99));
    let path = write(dir.path(), "skewed.txt", &sorted_text(&entries, "\r\n"));
    assert!(std::fs::metadata(&path).expect("size").len() > 16 * 4096);
    let file = open_file(&path);
    for i in [0, 1, 999, 1_000, 1_998, 1_999] {
        let hash = format!("{}{i:024X}", "8".repeat(16));
        assert_eq!(count_in(&file, &hash), 1 + i % 7, "{hash}");
    }
    assert_eq!(count_in(&file, &"F".repeat(40)), 99);
    assert_eq!(
        count_in(&file, &format!("{}{:024X}", "8".repeat(16), 2_000)),
        0
    );
    assert_eq!(count_in(&file, &"7".repeat(40)), 0);
    assert_eq!(count_in(&file, &"9".repeat(40)), 0);
}

#[test]
fn neighbours_sharing_a_prefix_do_not_hide_each_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let entries = corpus_with(&[
        (&neighbour('1'), 11),
        (HASH, 42),
        (&neighbour('3'), 13),
        (&neighbour('5'), 15),
    ]);
    let file = open_file(&write(dir.path(), "c.txt", &sorted_text(&entries, "\n")));
    assert_eq!(count_in(&file, HASH), 42);
    assert_eq!(count_in(&file, &neighbour('1')), 11);
    assert_eq!(count_in(&file, &neighbour('3')), 13);
    assert_eq!(count_in(&file, &neighbour('5')), 15);
    assert_eq!(count_in(&file, &neighbour('0')), 0);
    assert_eq!(count_in(&file, &neighbour('4')), 0);
    assert_eq!(count_in(&file, &neighbour('F')), 0);
}

#[test]
fn lower_case_lf_and_a_missing_final_newline_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let entries: Vec<(String, u64)> = corpus_with(&[(HASH, 7)])
        .into_iter()
        .map(|(hash, count)| (hash.to_ascii_lowercase(), count))
        .collect();
    let text = sorted_text(&entries, "\n");
    let file = open_file(&write(dir.path(), "c.txt", text.trim_end()));
    assert_eq!(count_in(&file, HASH), 7);
    let last = filler(400).pop().expect("last");
    assert_eq!(count_in(&file, &last), 3);
    // Trailing blank lines are no line.
    let file = open_file(&write(dir.path(), "d.txt", &format!("{text}\r\n\n  \n")));
    assert_eq!(count_in(&file, &last), 3);
}

#[test]
fn a_one_line_corpus_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = open_file(&write(dir.path(), "c.txt", &format!("{HASH}:9")));
    assert_eq!(count_in(&file, HASH), 9);
    assert_eq!(count_in(&file, &neighbour('0')), 0);
    assert_eq!(count_in(&file, &neighbour('F')), 0);
}

#[test]
fn broken_files_are_refused_at_startup_with_the_path_and_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = sorted_text(&corpus_with(&[]), "\r\n");
    let cases = [
        ("empty.txt", String::new(), "is empty"),
        ("blank.txt", "\r\n\n".to_owned(), "is empty"),
        (
            "truncated.txt",
            format!("{text}{}", &HASH[..23]),
            &*format!("byte offset {}", text.len()),
        ),
        (
            "no-count.txt",
            format!("{text}{}:", "F".repeat(40)),
            &*format!("byte offset {}", text.len()),
        ),
        ("suffixes.txt", format!("{SUFFIX}:1\n"), "byte offset 0"),
        (
            "by-count.txt",
            sorted_text(&corpus_with(&[]), "\n")
                .lines()
                .rev()
                .map(|line| format!("{line}\n"))
                .collect(),
            "not sorted by hash",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(dir.path(), name, &text);
        let error = SortedFile::open(&path).expect_err(name).to_string();
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains(expected), "{name}: {error}");
    }
    let error = Corpus::open_local(&dir.path().join("absent.txt"))
        .expect_err("absent")
        .to_string();
    assert!(error.contains("absent.txt does not exist"), "{error}");
}

#[test]
fn a_malformed_line_met_at_lookup_time_names_the_file_and_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = sorted_text(&corpus_with(&[(HASH, 5)]), "\n");
    // Break HASH's own line: the samples taken at startup miss it, and a lookup of
    // HASH cannot decide without reading it.
    let at = good.find(HASH).expect("listed");
    let broken = good.replacen(&format!("{HASH}:5"), "not a corpus line", 1);
    let path = write(dir.path(), "c.txt", &broken);
    let file = open_file(&path);
    let failure = file.count(HASH.as_bytes()).expect_err("malformed");
    let message = failure.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(&format!("byte offset {at}")), "{message}");
}

#[test]
fn a_file_shortened_after_opening_fails_the_lookup_instead_of_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = sorted_text(&corpus_with(&[]), "\n");
    let path = write(dir.path(), "c.txt", &text);
    let file = open_file(&path);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("reopen")
        .set_len(100)
        .expect("truncate");
    let failure = file.count("F".repeat(40).as_bytes()).expect_err("short");
    assert!(failure.to_string().contains("became shorter"), "{failure}");
}

/// A directory of range files for `entries`, named in upper case.
fn range_dir(dir: &Path, entries: &[(String, u64)], newline: &str) {
    let mut ranges: HashMap<String, String> = HashMap::new();
    for (hash, count) in entries {
        let (prefix, suffix) = hash.split_at(5);
        ranges
            .entry(prefix.to_ascii_uppercase())
            .or_default()
            .push_str(&format!("{suffix}:{count}{newline}"));
    }
    for (prefix, text) in ranges {
        write(dir, &format!("{prefix}.txt"), &text);
    }
}

fn open_dir(path: &Path) -> RangeDir {
    RangeDir::open(path).expect("range directory opens")
}

#[test]
fn range_files_answer_like_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let entries = corpus_with(&[(HASH, 42), (&neighbour('1'), 0), (&neighbour('3'), 2)]);
    range_dir(dir.path(), &entries, "\r\n");
    let ranges = open_dir(dir.path());
    let count = |hash: &str| ranges.count(hash.as_bytes()).expect("lookup");
    assert_eq!(count(HASH), 42);
    assert_eq!(count(&neighbour('1')), 0);
    assert_eq!(count(&neighbour('3')), 2);
    assert_eq!(count(&neighbour('4')), 0);
    let hashes = filler(400);
    assert_eq!(count(&hashes[0]), 3);
    assert_eq!(count(&hashes[399]), 3);
    // No range file for this prefix: not found.
    assert!(!dir.path().join("00000.txt").exists());
    assert_eq!(count(&format!("00000{}", &HASH[5..])), 0);
}

#[test]
fn lower_case_range_files_and_entries_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &format!("{}.txt", PREFIX.to_lowercase()),
        &format!("{}:6\n", SUFFIX.to_lowercase()),
    );
    let ranges = open_dir(dir.path());
    assert_eq!(ranges.count(HASH.as_bytes()).expect("lookup"), 6);
}

#[test]
fn broken_range_directories_are_refused_at_startup() {
    let empty = tempfile::tempdir().expect("temp dir");
    write(empty.path(), "README.md", "not a range");
    let error = RangeDir::open(empty.path())
        .expect_err("no ranges")
        .to_string();
    assert!(error.contains("holds no range files"), "{error}");

    let bad = tempfile::tempdir().expect("temp dir");
    write(
        bad.path(),
        "00000.txt",
        &format!("{SUFFIX}:1\r\n{HASH}:2\r\n"),
    );
    let error = RangeDir::open(bad.path())
        .expect_err("bad line")
        .to_string();
    assert!(error.contains("00000.txt"), "{error}");
    assert!(error.contains("byte offset 39"), "{error}");

    let blank = tempfile::tempdir().expect("temp dir");
    write(blank.path(), "00000.txt", "");
    let error = RangeDir::open(blank.path()).expect_err("empty").to_string();
    assert!(error.contains("no SUFFIX:COUNT line"), "{error}");
}

#[tokio::test]
async fn a_broken_range_file_fails_open_or_closed_without_naming_the_prefix() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "00000.txt",
        "0018A45C4D1DEF81644B54AB7F969B88D65:1\n",
    );
    let corpus = Corpus::open_local(dir.path()).expect("opens");
    // Broken after startup, which sampled the only file there was.
    let range_file = write(
        dir.path(),
        &format!("{PREFIX}.txt"),
        "0018A45C4D1DEF81644B54AB7F969B88D65:1\ngarbage\n",
    );

    let (logs, _guard) = Logs::capture();
    assert_eq!(
        checker(corpus.clone(), 1, false).is_weak(PASSWORD).await,
        Ok(false)
    );
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("fail open"),
        "{text}"
    );
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("byte offset 38"), "{text}");
    assert_no_secret(&text);

    let closed = checker(corpus.clone(), 1, true);
    match closed.is_weak(PASSWORD).await {
        Err(StrengthCheckError(message)) => {
            assert!(message.contains("byte offset 38"), "{message}");
            assert_no_secret(&message);
        }
        other => panic!("expected an error, got {other:?}"),
    }
    // The operator's own check may show the file.
    let failure = closed.check(PASSWORD).await.expect_err("broken");
    assert_eq!(failure.range_file(), Some(range_file.as_path()));
}

#[tokio::test]
async fn a_broken_sorted_file_fails_open_or_closed_naming_the_file_and_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = sorted_text(&corpus_with(&[(HASH, 5)]), "\n");
    let at = good.find(HASH).expect("listed");
    let broken = good.replacen(&format!("{HASH}:5"), &"x".repeat(20), 1);
    let path = write(dir.path(), "c.txt", &broken);
    let corpus = Corpus::open_local(&path).expect("opens");

    let (logs, _guard) = Logs::capture();
    assert_eq!(
        checker(corpus.clone(), 1, false).is_weak(PASSWORD).await,
        Ok(false)
    );
    let text = logs.text();
    assert!(text.contains("fail open"), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains(&format!("byte offset {at}")), "{text}");
    assert_no_secret(&text);
    assert!(matches!(
        checker(corpus, 1, true).is_weak(PASSWORD).await,
        Err(StrengthCheckError(_))
    ));
}

#[tokio::test]
async fn the_minimum_count_applies_in_both_layouts_and_zero_never_counts() {
    let entries = corpus_with(&[(HASH, 5), (&neighbour('0'), 0)]);
    let file_dir = tempfile::tempdir().expect("temp dir");
    let path = write(file_dir.path(), "c.txt", &sorted_text(&entries, "\r\n"));
    let ranges = tempfile::tempdir().expect("temp dir");
    range_dir(ranges.path(), &entries, "\r\n");
    for corpus in [
        Corpus::open_local(&path).expect("file"),
        Corpus::open_local(ranges.path()).expect("directory"),
    ] {
        let at = |min_count| checker(corpus.clone(), min_count, true);
        assert_eq!(at(1).check(PASSWORD).await, Ok(Verdict::Breached(5)));
        assert_eq!(at(5).check(PASSWORD).await, Ok(Verdict::Breached(5)));
        assert_eq!(at(6).check(PASSWORD).await, Ok(Verdict::NotFound));
        assert_eq!(at(1).is_weak(PASSWORD).await, Ok(true));
        assert_eq!(at(6).is_weak(PASSWORD).await, Ok(false));
        // A minimum of 0 is a minimum of 1: count-0 lines never count.
        assert_eq!(at(0).corpus().count(neighbour('0')).await, Ok(0));
        assert_eq!(
            at(0).check("not listed anywhere").await,
            Ok(Verdict::NotFound)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// For random sets of hashes written in random case and line ends, the sorted file
    /// and the range directory agree with a map of the same entries.
    #[test]
    fn lookups_agree_with_a_hash_map(
        listed in proptest::collection::hash_map(any::<[u8; 20]>(), 0u64..4, 1..600),
        absent in proptest::collection::vec(any::<[u8; 20]>(), 20),
        lower in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let hex = |hash: &[u8; 20]| {
            if lower { hex::encode(hash) } else { hex::encode_upper(hash) }
        };
        let entries: Vec<(String, u64)> =
            listed.iter().map(|(hash, count)| (hex(hash), *count)).collect();
        let newline = if crlf { "\r\n" } else { "\n" };
        let dir = tempfile::tempdir().expect("temp dir");
        let file = open_file(&write(dir.path(), "c.txt", &sorted_text(&entries, newline)));
        let ranges = tempfile::tempdir().expect("temp dir");
        range_dir(ranges.path(), &entries, newline);
        let ranges = open_dir(ranges.path());
        let probes = listed.keys().chain(absent.iter());
        for hash in probes {
            let wanted = listed.get(hash).copied().unwrap_or(0);
            let upper = hex::encode_upper(hash);
            prop_assert_eq!(file.count(upper.as_bytes()).expect("file"), wanted);
            prop_assert_eq!(ranges.count(upper.as_bytes()).expect("dir"), wanted);
        }
    }
}
