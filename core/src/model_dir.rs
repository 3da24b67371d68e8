//! Locating the directory of real model files for tests, the one implementation every crate's
//! tests share.
//!
//! Tests that need a real checkpoint (e.g. `stories260K.bin`) read it from the directory named by
//! [`MODEL_DIR_VAR`]. When the variable is unset they skip, printing why; when
//! [`REQUIRE_ALL_VAR`] is `1` a missing directory is a failure instead, so CI cannot pass by
//! silently skipping.
//!
//! ```no_run
//! # fn test() {
//! let Some(dir) = ruvsim_core::model_dir::locate().expect("model directory") else {
//!     return; // skipped; the reason was printed
//! };
//! let bytes = std::fs::read(dir.join("stories260K.bin")).expect("read checkpoint");
//! # }
//! ```

use std::env;
use std::format;
use std::path::PathBuf;
use std::println;
use std::string::String;

/// Environment variable naming the directory that holds the real model files.
pub const MODEL_DIR_VAR: &str = "RUVSIM_MODEL_DIR";

/// Environment variable that, set to `1`, turns a skipped model test into a failure.
pub const REQUIRE_ALL_VAR: &str = "RUVSIM_REQUIRE_ALL";

/// Finds the model directory from the environment.
///
/// Returns `Ok(Some(dir))` when [`MODEL_DIR_VAR`] names an existing directory; `Ok(None)` after
/// printing the reason to stdout when the variable is unset or empty (the caller should skip);
/// `Err(reason)` when the variable names something that is not a directory, or when it is unset
/// and [`REQUIRE_ALL_VAR`] is `1`.
pub fn locate() -> Result<Option<PathBuf>, String> {
    resolve(
        env::var_os(MODEL_DIR_VAR).map(PathBuf::from),
        env::var(REQUIRE_ALL_VAR).is_ok_and(|value| value == "1"),
    )
}

/// Finds one file inside the model directory, like [`locate`], and additionally fails when the
/// directory exists but does not contain `file_name`.
pub fn locate_file(file_name: &str) -> Result<Option<PathBuf>, String> {
    let Some(dir) = locate()? else {
        return Ok(None);
    };
    let path = dir.join(file_name);
    if path.is_file() {
        Ok(Some(path))
    } else {
        Err(format!(
            "{MODEL_DIR_VAR}={} does not contain {file_name}",
            dir.display()
        ))
    }
}

/// The decision behind [`locate`], separated from the process environment so it can be tested.
fn resolve(dir: Option<PathBuf>, require_all: bool) -> Result<Option<PathBuf>, String> {
    match dir.filter(|dir| !dir.as_os_str().is_empty()) {
        Some(dir) if dir.is_dir() => Ok(Some(dir)),
        Some(dir) => Err(format!(
            "{MODEL_DIR_VAR}={} is not a directory",
            dir.display()
        )),
        None if require_all => Err(format!(
            "{MODEL_DIR_VAR} is unset but {REQUIRE_ALL_VAR}=1 requires the real model files"
        )),
        None => {
            println!("skipping: {MODEL_DIR_VAR} is unset, so the real model files are unavailable");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_skips_unless_required() {
        assert_eq!(resolve(None, false), Ok(None));
        assert_eq!(resolve(Some(PathBuf::new()), false), Ok(None));
        let err = resolve(None, true).unwrap_err();
        assert!(err.contains(REQUIRE_ALL_VAR), "{err}");
    }

    #[test]
    fn existing_directory_is_returned() {
        let dir = env::temp_dir();
        assert_eq!(resolve(Some(dir.clone()), true), Ok(Some(dir)));
    }

    #[test]
    fn missing_directory_is_an_error_even_when_not_required() {
        let dir = env::temp_dir().join("ruvsim-model-dir-that-does-not-exist");
        let err = resolve(Some(dir), false).unwrap_err();
        assert!(err.contains("not a directory"), "{err}");
    }
}
