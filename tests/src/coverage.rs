//! Coverage of the bundle by the contract tests: the proxy records every (operationId,
//! status) pair a test reached; [`report`] lists every documented pair and fails on any
//! that was neither reached, nor excepted (`tests/coverage-exceptions.txt`, with a reason
//! each), nor belongs to an unimplemented operation (`tests/unimplemented.txt`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::spec::Operation;

/// The directory records go to: `MERIDIAN_COVERAGE_DIR`, else `<target>/contract-coverage`
/// next to the test executable.
pub fn coverage_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MERIDIAN_COVERAGE_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test-binary> → target/contract-coverage
    exe.ancestors()
        .nth(3)
        .map(|t| t.join("contract-coverage"))
        .unwrap_or_else(|| "contract-coverage".into())
}

/// Appends `operationId status test` lines to a file of this process.
#[derive(Debug)]
pub struct Recorder {
    test: String,
    file: PathBuf,
}

impl Recorder {
    /// A recorder for the test named `test`.
    pub fn new(test: &str) -> Self {
        let dir = coverage_dir();
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("{}.txt", std::process::id()));
        Self {
            test: test.replace(char::is_whitespace, "_"),
            file,
        }
    }

    /// Records that the current test reached `status` of `operation_id`.
    pub fn record(&self, operation_id: &str, status: u16) {
        let line = format!("{operation_id} {status} {}\n", self.test);
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&self.file) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// The reached pairs in `dir`, each with the tests that reached it.
pub fn read_records(dir: &Path) -> BTreeMap<(String, u16), BTreeSet<String>> {
    let mut reached: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if let (Some(id), Some(Ok(status)), Some(test)) =
                (parts.next(), parts.next().map(str::parse::<u16>), parts.next())
            {
                reached
                    .entry((id.to_owned(), status))
                    .or_default()
                    .insert(test.to_owned());
            }
        }
    }
    reached
}

/// Parses the exceptions file: `operationId status  # reason` (`*` as the operationId stands
/// for every operation documenting that status); a line without a reason is an error.
pub fn parse_exceptions(text: &str) -> Result<BTreeMap<(String, u16), String>, String> {
    let mut out = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (pair, reason) = line
            .split_once('#')
            .ok_or_else(|| format!("line {}: no `# reason`", n + 1))?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(format!("line {}: empty reason", n + 1));
        }
        let mut parts = pair.split_whitespace();
        let (Some(id), Some(status), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("line {}: expected `operationId status  # reason`", n + 1));
        };
        let status = status
            .parse()
            .map_err(|_| format!("line {}: bad status `{status}`", n + 1))?;
        out.insert((id.to_owned(), status), reason.to_owned());
    }
    Ok(out)
}

/// One documented pair's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairState {
    /// Reached by these tests.
    Reached(BTreeSet<String>),
    /// Listed in the exceptions file with this reason.
    Excepted(String),
    /// The operation is not implemented yet.
    Unimplemented,
    /// None of the above: the gate fails.
    Missing,
}

/// The coverage of every documented pair, and the problems that fail the gate (missing
/// pairs, and exceptions that name undocumented pairs or pairs that were reached).
pub fn report(
    ops: &[Operation],
    reached: &BTreeMap<(String, u16), BTreeSet<String>>,
    exceptions: &BTreeMap<(String, u16), String>,
    unimplemented: &BTreeSet<String>,
) -> (Vec<(String, u16, PairState)>, Vec<String>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut documented = BTreeSet::new();
    for op in ops {
        for &status in &op.statuses {
            let key = (op.operation_id.clone(), status);
            documented.insert(key.clone());
            let wildcard = ("*".to_owned(), status);
            let excepted = exceptions.get(&key).or_else(|| exceptions.get(&wildcard));
            let state = if let Some(tests) = reached.get(&key) {
                if exceptions.contains_key(&key) {
                    problems.push(format!(
                        "{} {status}: reached, so remove it from the exceptions file",
                        op.operation_id
                    ));
                }
                PairState::Reached(tests.clone())
            } else if let Some(reason) = excepted {
                PairState::Excepted(reason.clone())
            } else if unimplemented.contains(&op.operation_id) {
                PairState::Unimplemented
            } else {
                problems.push(format!("{} {status}: no contract test reached it", op.operation_id));
                PairState::Missing
            };
            rows.push((op.operation_id.clone(), status, state));
        }
    }
    for key in exceptions.keys() {
        if key.0 != "*" && !documented.contains(key) {
            problems.push(format!(
                "{} {}: in the exceptions file but not documented",
                key.0, key.1
            ));
        }
    }
    (rows, problems)
}

/// The report as Markdown.
pub fn render(rows: &[(String, u16, PairState)], problems: &[String]) -> String {
    let count = |f: fn(&PairState) -> bool| rows.iter().filter(|r| f(&r.2)).count();
    let mut out = String::from("# Contract coverage\n\n");
    out.push_str(&format!(
        "{} documented (operationId, status) pairs: {} reached, {} excepted, {} unimplemented, {} missing.\n\n",
        rows.len(),
        count(|s| matches!(s, PairState::Reached(_))),
        count(|s| matches!(s, PairState::Excepted(_))),
        count(|s| matches!(s, PairState::Unimplemented)),
        count(|s| matches!(s, PairState::Missing)),
    ));
    if !problems.is_empty() {
        out.push_str("## Problems\n\n");
        for p in problems {
            out.push_str(&format!("- {p}\n"));
        }
        out.push('\n');
    }
    out.push_str("| operationId | status | state |\n|---|---|---|\n");
    for (id, status, state) in rows {
        let state = match state {
            PairState::Reached(tests) => format!("reached by {}", tests.iter().cloned().collect::<Vec<_>>().join(", ")),
            PairState::Excepted(reason) => format!("excepted: {reason}"),
            PairState::Unimplemented => "not implemented yet".into(),
            PairState::Missing => "**MISSING**".into(),
        };
        out.push_str(&format!("| {id} | {status} | {state} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: &str, statuses: &[u16]) -> Operation {
        Operation {
            method: "get".into(),
            path: format!("/{id}"),
            operation_id: id.into(),
            statuses: statuses.to_vec(),
        }
    }

    #[test]
    fn the_gate_fails_on_an_unreached_pair_and_passes_when_excepted() {
        let ops = vec![op("a", &[200, 500]), op("b", &[200])];
        let mut reached = BTreeMap::new();
        reached.insert(("a".to_owned(), 200), BTreeSet::from(["t1".to_owned()]));
        let unimplemented = BTreeSet::from(["b".to_owned()]);
        let (_, problems) = report(&ops, &reached, &BTreeMap::new(), &unimplemented);
        assert_eq!(problems, vec!["a 500: no contract test reached it".to_owned()]);
        let exceptions = parse_exceptions("a 500  # cannot be provoked from outside\n").unwrap();
        let (rows, problems) = report(&ops, &reached, &exceptions, &unimplemented);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn stale_and_unknown_exceptions_fail() {
        let ops = vec![op("a", &[200])];
        let mut reached = BTreeMap::new();
        reached.insert(("a".to_owned(), 200), BTreeSet::from(["t".to_owned()]));
        let exceptions = parse_exceptions("a 200 # x\nz 404 # y\n").unwrap();
        let (_, problems) = report(&ops, &reached, &exceptions, &BTreeSet::new());
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn a_wildcard_excepts_a_status_everywhere_but_never_hides_a_reached_pair() {
        let ops = vec![op("a", &[200, 500]), op("b", &[200, 500])];
        let mut reached = BTreeMap::new();
        for id in ["a", "b"] {
            reached.insert((id.to_owned(), 200), BTreeSet::from(["t".to_owned()]));
        }
        reached.insert(("b".to_owned(), 500), BTreeSet::from(["t".to_owned()]));
        let exceptions = parse_exceptions("* 500  # only bugs produce it\n").unwrap();
        let (rows, problems) = report(&ops, &reached, &exceptions, &BTreeSet::new());
        assert!(problems.is_empty(), "{problems:?}");
        assert!(matches!(rows[1].2, PairState::Excepted(_)));
        assert!(matches!(rows[3].2, PairState::Reached(_)));
    }

    #[test]
    fn exceptions_need_reasons() {
        assert!(parse_exceptions("a 500\n").is_err());
        assert!(parse_exceptions("a 500 #  \n").is_err());
        assert!(parse_exceptions("a five # r\n").is_err());
    }
}
