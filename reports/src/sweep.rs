//! The outputs of `ruvsim sweep`: `sweep.csv` (one row per design), `pareto.csv` (the frontier's
//! rows), `sweep.json` (the whole result, from which shards merge and any design is rebuilt) and
//! `sweep.html` (the frontier charts, the best design per objective with its scenario, and why
//! designs were infeasible). The same result always gives the same bytes.

mod chart;
mod page;
mod table;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ruvsim_experiments::sweep::SweepResult;

use crate::{write_file, write_json, ReportError};

pub use chart::{pareto_chart, Corner, ScatterData};
pub use page::render;
pub use table::{columns, write_csv, FIXED_COLUMNS};

/// The files [`write_sweep_report`] writes, in order.
pub const SWEEP_FILES: [&str; 4] = ["sweep.csv", "pareto.csv", "sweep.json", "sweep.html"];

/// The file [`read_sweep_result`] reads.
pub const SWEEP_JSON: &str = SWEEP_FILES[2];

/// Writes [`SWEEP_FILES`] into `dir` (created if missing) and returns their paths.
pub fn write_sweep_report(result: &SweepResult, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(vec![
        write_file(dir, SWEEP_FILES[0], |out| {
            write_csv(result, result.rows.iter(), out)
        })?,
        write_file(dir, SWEEP_FILES[1], |out| {
            write_csv(result, result.rows.iter().filter(|r| r.pareto), out)
        })?,
        write_file(dir, SWEEP_FILES[2], |out| write_json(out, result))?,
        write_file(dir, SWEEP_FILES[3], |out| {
            out.write_all(render(result).as_bytes())
        })?,
    ])
}

/// Reads the `sweep.json` a sweep (or one shard) wrote into `dir`.
pub fn read_sweep_result(dir: &Path) -> Result<SweepResult, ReportError> {
    let path = dir.join(SWEEP_JSON);
    let read = |reason: String| ReportError::Read {
        path: path.clone(),
        reason,
    };
    let text = fs::read_to_string(&path).map_err(|e| read(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| {
        read(format!(
            "{e}; it is not a sweep.json as `ruvsim sweep` writes it"
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ruvsim_experiments::sweep::result::SweepHeader;
    use ruvsim_experiments::sweep::{spec, DesignRow, Figures, Status};

    use super::*;

    const SWEEP: &str = r#"
[sweep]
name = "hand"
constraints = ["chips <= 8"]
objectives = ["min cost_usd", "max throughput_tok_s"]
[cost]
price_usd = { esp32s3 = 4.0 }
[base.scenario]
name = "hand"
[base.model]
source = "synthetic"
shape = "stories260k"
precision = "int8"
[base.cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 1 }
link = { kind = "uart", baud = 2000000 }
[base.workload]
requests = 1
prompt = { length = 4 }
new_tokens = 4
[[axis]]
key = "parallelism.pipeline"
values = [1, 2, 4, 8]
"#;

    fn simulated(id: u64, chips: u32, tok_s: f64) -> DesignRow {
        DesignRow {
            id,
            values: vec![chips.to_string()],
            status: Status::Simulated,
            reason: None,
            chips: Some(chips),
            cost_usd: Some(4.0 * f64::from(chips)),
            figures: Some(Figures {
                throughput_tok_s: tok_s,
                tok_s_per_chip: tok_s / f64::from(chips),
                ttft_p50_ms: 1.5,
                ttft_p99_ms: 2.0,
                inter_token_p50_ms: 1.0,
                inter_token_p99_ms: 1.25,
                energy_per_token_mj: Some(0.5),
                power_w: Some(0.25),
                detect_max_ms: None,
                heartbeat_link_pct: None,
                requests_failed: 0,
                bottleneck: "chip 0, busy 90%".into(),
            }),
            failed_constraints: Vec::new(),
            pareto: false,
        }
    }

    /// Four designs by hand: 1 chip at 100 tok/s and 2 chips at 300 on the frontier, 4 chips at
    /// 250 dominated, 8 chips infeasible.
    fn fixture() -> SweepResult {
        let sweep = spec::parse("hand.toml", SWEEP, Path::new("."), None).unwrap();
        let mut infeasible = simulated(3, 8, 0.0);
        infeasible.status = Status::Infeasible;
        infeasible.figures = None;
        infeasible.reason = Some("no plan fits: chip 3 needs more SRAM".into());
        let rows = vec![
            simulated(2, 4, 250.0),
            simulated(0, 1, 100.0),
            infeasible,
            simulated(1, 2, 300.0),
        ];
        SweepResult::assemble(SweepHeader::of(&sweep), None, rows)
    }

    #[test]
    fn csv_lists_every_design_and_pareto_csv_the_frontier() {
        let result = fixture();
        assert_eq!(result.frontier, vec![0, 1]);
        let mut out = Vec::new();
        write_csv(&result, result.rows.iter(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("id,parallelism.pipeline,status,chips,cost_usd,"));
        assert_eq!(
            lines[2],
            "1,2,simulated,2,8.00,300.000,150.0000,1.5000,2.0000,1.0000,1.2500,0.500000,\
             0.250000,,,0,simulated,true,,true,\"chip 0, busy 90%\","
        );
        assert!(
            lines[4].starts_with("3,8,infeasible,8,32.00,,"),
            "{}",
            lines[4]
        );
        assert!(lines[4].ends_with(",false,,false,,no plan fits: chip 3 needs more SRAM"));
        let header_fields = columns(&result).len();
        assert_eq!(header_fields, 2 + FIXED_COLUMNS.len());
    }

    #[test]
    fn the_files_round_trip_through_sweep_json() {
        let dir = std::env::temp_dir().join(format!("ruvsim-sweep-report-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let files = write_sweep_report(&fixture(), &dir).unwrap();
        assert_eq!(files.len(), SWEEP_FILES.len());
        let back = read_sweep_result(&dir).unwrap();
        assert_eq!(back, fixture());
        let pareto = fs::read_to_string(dir.join("pareto.csv")).unwrap();
        assert_eq!(pareto.lines().count(), 3, "{pareto}");
        let err = read_sweep_result(&dir.join("missing")).unwrap_err();
        assert!(err.to_string().contains("sweep.json"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_page_is_self_contained_and_shows_the_best_designs_scenario() {
        let result = fixture();
        let html = render(&result);
        assert!(html.starts_with("<!DOCTYPE html>"));
        for needle in [
            "<svg",
            "id=\"design-0\"",
            "name = &quot;hand-0&quot;",
            "ruvsim sweep show DIR 1",
            "no plan fits: chip 3 needs more SRAM",
            "tier-simulated",
            "user input",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        assert_eq!(html, render(&fixture()), "same result, same bytes");
    }

    #[test]
    fn the_chart_separates_the_frontier() {
        let result = fixture();
        let [cost, tok_s] = [result.header.objectives[0], result.header.objectives[1]];
        let data = ScatterData::of(&result, cost, tok_s);
        assert_eq!(data.frontier, vec![(0, 4.0, 100.0), (1, 8.0, 300.0)]);
        assert_eq!(data.feasible, vec![(16.0, 250.0)]);
        assert!(data.failing.is_empty());
        assert_eq!(data.left_out, 0);
        assert!(pareto_chart(&result, cost, tok_s)
            .unwrap()
            .contains("<circle"));
        // The points climb from lower left to upper right: the upper left is empty.
        let corner = |right, top| Corner { right, top };
        assert_eq!(data.emptiest_corner(), corner(false, true));
        // With designs in the upper left and upper right, the lower right is the emptiest.
        let crowded = ScatterData {
            feasible: vec![(4.0, 300.0), (5.0, 290.0)],
            ..data
        };
        assert_eq!(crowded.emptiest_corner(), corner(true, false));
    }
}
