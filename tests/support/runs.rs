//! One Terraform command's outcome, as the hardening suites check it: did it
//! fail with the expected diagnostic, and did any credential leak into it.

use std::time::Instant;

use crate::support::terraform::{one_line, text, Terraform, Workspace};

/// One Terraform command's outcome.
pub(crate) struct Run {
    /// Whether it exited 0.
    pub ok: bool,
    /// Its stdout.
    pub out: String,
    /// Its stderr.
    pub err: String,
    /// How long it took, in seconds.
    pub seconds: f64,
}

impl Run {
    /// Stdout and stderr together.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.out, self.err)
    }
}

/// Runs `terraform <args>` in `ws`, printing how it went under `label`.
pub(crate) fn run(tf: &Terraform, ws: &Workspace, args: &[&str], label: &str) -> Run {
    let started = Instant::now();
    let output = ws.run(tf, args);
    let (out, err) = text(&output);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{label} ({}): {} {} in {seconds:.1} s",
        tf.label,
        args.first().copied().unwrap_or(""),
        if output.status.success() {
            "succeeded"
        } else {
            "failed"
        },
    );
    Run {
        ok: output.status.success(),
        out,
        err,
        seconds,
    }
}

/// `terraform plan -input=false -no-color`.
pub(crate) fn plan(tf: &Terraform, ws: &Workspace, label: &str) -> Run {
    run(tf, ws, &["plan", "-input=false", "-no-color"], label)
}

/// Asserts that `run` failed with `summary` (and each of `details`) in Terraform's errors.
pub(crate) fn assert_failed(run: &Run, label: &str, summary: &str, details: &[&str]) {
    assert!(!run.ok, "{label}: should fail\n{}\n{}", run.out, run.err);
    assert!(
        run.err.contains(&format!("Error: {summary}")),
        "{label}: no {summary:?} error\n{}",
        run.err
    );
    let err = one_line(&run.err);
    for detail in details {
        assert!(
            err.contains(&one_line(detail)),
            "{label}: {detail:?} missing\n{}",
            run.err
        );
    }
}

/// Asserts that no run of 8 characters of any of `secrets` appears in `text`.
pub(crate) fn assert_no_pieces(text: &str, secrets: &[&str], label: &str) {
    for secret in secrets {
        for start in 0..=secret.len().saturating_sub(8) {
            let piece = &secret[start..(start + 8).min(secret.len())];
            assert!(
                !text.contains(piece),
                "{label}: secret piece {piece:?} leaked:\n{text}"
            );
        }
    }
}
