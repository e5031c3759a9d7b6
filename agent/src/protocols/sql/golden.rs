//! Golden tests: statements and what they normalize to, in
//! `testdata/*.sql`. `django_postgresql.sql` and `django_mysql.sql` are
//! what a Django 5.2 app sent to real servers (`testdata/django/capture.py`);
//! `edge_cases.sql` is written by hand.
//!
//! A case is a header `=== DIALECTS: NAME` (dialects among `postgresql`,
//! `mysql`, `unknown`: the case must hold for each), the statement's lines,
//! then `>>> text: `, `>>> summary: `, `>>> operation: ` and
//! `>>> collection: ` lines (`-` for none). `SONDE_BLESS=1 cargo test -p
//! sonde-agent protocols::sql` rewrites the expectations from the first
//! dialect's output: review the diff.

use std::{fs, path::PathBuf};

use super::{Dialect, Normalizer, Statement, MAX_SUMMARY_BYTES, MAX_TEXT_BYTES};

const EXPECT: &str = ">>> ";
const HEADER: &str = "=== ";

/// Values the Django tour put in its queries: none may come out.
const DJANGO_VALUES: &[&str] = &[
    "ann@example.com",
    "example.org",
    "Reilly",
    "REILLY",
    "Zoë",
    "slash",
    "SKU-",
    "9.99",
    "50%",
    "it's",
    "door",
    "4711",
    "s3cret",
    "Renamed",
    "clearance",
    "item 1",
    "It_m",
    "many",
    "few",
    "2024",
    "0001275c",
    "two",
    "lines",
    "987654321",
    "1.1",
];

struct Case {
    header: String,
    dialects: Vec<Dialect>,
    input: String,
    expected: Vec<String>,
}

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/protocols/sql/testdata")
}

fn dialect(name: &str) -> Dialect {
    match name {
        "postgresql" => Dialect::POSTGRESQL,
        "mysql" => Dialect::MYSQL,
        "unknown" => Dialect::UNKNOWN,
        other => panic!("unknown dialect {other}"),
    }
}

/// The preamble (comments before the first case) and the cases.
fn parse(text: &str) -> (String, Vec<Case>) {
    let mut preamble = String::new();
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix(HEADER) {
            let (dialects, _) = header.split_once(':').expect("=== DIALECTS: NAME");
            cases.push(Case {
                header: line.to_owned(),
                dialects: dialects.split_whitespace().map(dialect).collect(),
                input: String::new(),
                expected: Vec::new(),
            });
            continue;
        }
        let Some(case) = cases.last_mut() else {
            preamble.push_str(line);
            preamble.push('\n');
            continue;
        };
        if line.starts_with(EXPECT) {
            case.expected.push(line.to_owned());
        } else if case.expected.is_empty() {
            case.input.push_str(line);
            case.input.push('\n');
        }
    }
    for case in &mut cases {
        let kept = case.input.trim_end_matches('\n').len();
        case.input.truncate(kept);
    }
    (preamble, cases)
}

fn describe(statement: &Statement) -> Vec<String> {
    let optional = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    vec![
        format!("{EXPECT}text: {}", statement.text),
        format!("{EXPECT}summary: {}", statement.summary),
        format!("{EXPECT}operation: {}", optional(&statement.operation)),
        format!("{EXPECT}collection: {}", optional(&statement.collection)),
    ]
}

fn render(preamble: &str, cases: &[Case]) -> String {
    let mut out = preamble.trim_end_matches('\n').to_owned();
    out.push('\n');
    for case in cases {
        out.push('\n');
        out.push_str(&case.header);
        out.push('\n');
        out.push_str(&case.input);
        out.push('\n');
        for line in &case.expected {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn golden_files() -> Vec<PathBuf> {
    let mut paths: Vec<_> = fs::read_dir(testdata())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "golden files missing: {paths:?}");
    paths
}

#[test]
fn golden_statements_normalize_as_recorded() {
    let bless = std::env::var_os("SONDE_BLESS").is_some();
    let mut normalizer = Normalizer::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in golden_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (preamble, mut cases) = parse(&fs::read_to_string(&path).unwrap());
        for case in &mut cases {
            count += 1;
            for (index, &dialect) in case.dialects.iter().enumerate() {
                let actual = describe(&normalizer.normalize(&case.input, dialect));
                if bless && index == 0 {
                    case.expected = actual;
                } else if actual != case.expected {
                    failures.push(format!(
                        "{name}: {} ({dialect:?})\n{}\nexpected:\n{}\nactual:\n{}",
                        case.header,
                        case.input,
                        case.expected.join("\n"),
                        actual.join("\n")
                    ));
                }
            }
        }
        if bless {
            fs::write(&path, render(&preamble, &cases)).unwrap();
        }
    }
    assert!(count >= 300, "only {count} golden cases");
    assert!(
        failures.is_empty(),
        "{} golden cases differ (SONDE_BLESS=1 to rewrite, then review the diff):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn golden_outputs_are_bounded_and_keep_no_django_value() {
    let mut normalizer = Normalizer::new();
    for path in golden_files() {
        let (_, cases) = parse(&fs::read_to_string(&path).unwrap());
        let django = path.to_string_lossy().contains("django");
        for case in &cases {
            for &dialect in &case.dialects {
                let statement = normalizer.normalize(&case.input, dialect);
                assert!(statement.text.len() <= MAX_TEXT_BYTES, "{}", case.header);
                assert!(
                    statement.summary.len() <= MAX_SUMMARY_BYTES,
                    "{}",
                    case.header
                );
                if !django {
                    continue;
                }
                let outputs = [
                    &statement.text,
                    &statement.summary,
                    &statement.operation.clone().unwrap_or_default(),
                    &statement.collection.clone().unwrap_or_default(),
                ];
                for value in DJANGO_VALUES {
                    for output in outputs {
                        assert!(
                            !output.contains(value),
                            "{}: {value:?} kept in {output:?}",
                            case.header
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn django_queries_read_the_same_with_the_dialect_unknown() {
    // What a parser that cannot tell the dialect gets for Django's queries:
    // summaries always the same; texts the same where Django qualifies its
    // names (everything but a few schema statements).
    let mut normalizer = Normalizer::new();
    let mut texts_differ = 0;
    for path in golden_files() {
        if !path.to_string_lossy().contains("django") {
            continue;
        }
        let (_, cases) = parse(&fs::read_to_string(&path).unwrap());
        for case in &cases {
            let known = normalizer.normalize(&case.input, case.dialects[0]);
            let unknown = normalizer.normalize(&case.input, Dialect::UNKNOWN);
            assert_eq!(known.summary, unknown.summary, "{}", case.header);
            assert_eq!(known.operation, unknown.operation, "{}", case.header);
            assert_eq!(known.collection, unknown.collection, "{}", case.header);
            if known.text != unknown.text {
                texts_differ += 1;
            }
        }
    }
    assert!(texts_differ <= 20, "{texts_differ} texts differ");
}

#[test]
fn golden_texts_read_back_as_themselves() {
    let mut normalizer = Normalizer::new();
    for path in golden_files() {
        let (_, cases) = parse(&fs::read_to_string(&path).unwrap());
        for case in &cases {
            for dialect in [Dialect::POSTGRESQL, Dialect::MYSQL, Dialect::UNKNOWN] {
                let text = normalizer.normalize(&case.input, dialect).text;
                let again = normalizer.normalize(&text, dialect).text;
                assert_eq!(again, text, "{} ({dialect:?})", case.header);
            }
        }
    }
}
