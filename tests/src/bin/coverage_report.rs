//! `coverage-report [DIR]`: the coverage gate. Reads the contract tests' records (DIR, or
//! `MERIDIAN_COVERAGE_DIR`), writes `contract-coverage.md` beside them and exits non-zero
//! when a documented (operationId, status) pair was neither reached, nor excepted with a
//! reason in `tests/coverage-exceptions.txt`, nor part of an unimplemented operation.

use std::process::ExitCode;

use meridian_contract_tests::{coverage, spec};

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(Into::into)
        .unwrap_or_else(coverage::coverage_dir);
    let exceptions = match coverage::parse_exceptions(include_str!("../../coverage-exceptions.txt")) {
        Ok(e) => e,
        Err(error) => {
            eprintln!("tests/coverage-exceptions.txt: {error}");
            return ExitCode::FAILURE;
        }
    };
    let reached = coverage::read_records(&dir);
    if reached.is_empty() {
        eprintln!("no coverage records in {}: did the contract tests run?", dir.display());
        return ExitCode::FAILURE;
    }
    let ops = spec::operations(spec::bundle());
    let (rows, problems) = coverage::report(&ops, &reached, &exceptions, &spec::unimplemented());
    let markdown = coverage::render(&rows, &problems);
    let out = dir.join("contract-coverage.md");
    if let Err(error) = std::fs::write(&out, &markdown) {
        eprintln!("writing {}: {error}", out.display());
    }
    let reached_count = rows
        .iter()
        .filter(|r| matches!(r.2, coverage::PairState::Reached(_)))
        .count();
    println!(
        "contract coverage: {reached_count}/{} documented pairs reached; report: {}",
        rows.len(),
        out.display()
    );
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("coverage: {p}");
        }
        ExitCode::FAILURE
    }
}
