//! `meridian-codegen` command line: `bundle`, `lint`, `generate`, `check`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use meridian_codegen::{artefacts, lint, repo_root};

/// Validates, lints and bundles Meridian's hand-written OpenAPI documents and generates
/// what is built from them.
#[derive(Parser)]
#[command(name = "meridian-codegen", version)]
struct Cli {
    /// Repository root (defaults to the workspace this binary was built from).
    #[arg(long, global = true, env = "MERIDIAN_ROOT")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write openapi/bundled/meridian.yaml and .json from openapi/*.yaml.
    Bundle,
    /// Check the documents against the rules in docs/api-design.md.
    Lint,
    /// Lint, then write every generated artefact (the bundle and the SDKs' generated code).
    Generate,
    /// Lint, then fail if any committed generated artefact differs from a fresh generation.
    Check,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(repo_root);
    let (sources, bundle) = artefacts::load_bundle(&root)?;
    let operations = count_operations(&bundle.doc);
    match cli.command {
        Command::Bundle => {
            let all = artefacts::artefacts(&root, &bundle)?;
            let bundled: Vec<_> = all
                .into_iter()
                .filter(|a| a.path.starts_with("openapi/bundled"))
                .collect();
            report_written(&artefacts::write(&root, &bundled)?);
        }
        Command::Lint => {
            if !lint_ok(&sources, &bundle) {
                return Ok(ExitCode::FAILURE);
            }
            println!("lint: {operations} operations, no findings");
        }
        Command::Generate => {
            if !lint_ok(&sources, &bundle) {
                return Ok(ExitCode::FAILURE);
            }
            report_written(&artefacts::write(&root, &artefacts::artefacts(&root, &bundle)?)?);
        }
        Command::Check => {
            if !lint_ok(&sources, &bundle) {
                return Ok(ExitCode::FAILURE);
            }
            let all = artefacts::artefacts(&root, &bundle)?;
            let stale = artefacts::stale(&root, &all);
            if !stale.is_empty() {
                for path in &stale {
                    eprintln!(
                        "stale: {} (run `cargo codegen generate` and commit the result)",
                        path.display()
                    );
                }
                return Ok(ExitCode::FAILURE);
            }
            println!(
                "check: {operations} operations; {} generated artefacts up to date",
                all.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn lint_ok(sources: &meridian_codegen::load::Sources, bundle: &meridian_codegen::bundle::Bundle) -> bool {
    let findings = lint::lint(sources, bundle);
    for finding in &findings {
        eprintln!("lint: {finding}");
    }
    if !findings.is_empty() {
        eprintln!("lint: {} finding(s)", findings.len());
    }
    findings.is_empty()
}

fn report_written(changed: &[PathBuf]) {
    if changed.is_empty() {
        println!("up to date");
    }
    for path in changed {
        println!("wrote {}", path.display());
    }
}

fn count_operations(doc: &serde_json::Value) -> usize {
    doc.get("paths")
        .and_then(serde_json::Value::as_object)
        .map(|paths| {
            paths
                .values()
                .map(|item| {
                    meridian_codegen::bundle::METHODS
                        .iter()
                        .filter(|m| item.get(**m).is_some())
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}
