//! Recording several boards at once into one merged trace (`ruvsim capture`).
//!
//! One tokio task per source (a serial port, opened raw at the baud rate by `tokio-serial`, or a
//! TCP stream) splits what arrives into lines and stamps each with the source and
//! the host's receive time: `@<source> <microseconds since the capture started> <line>`, the host
//! stamp the trace reader understands (`docs/trace-format.md`). A single writer keeps each source's
//! lines in their order and flushes whenever it has caught up. The capture ends when every source
//! has closed (end of stream, or a serial port hung up), or on Ctrl-C: then each reader hands over
//! what it holds, the writer drains every line and flushes, and nothing received is lost.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::sync::{mpsc, watch};
use tokio_serial::{SerialPortBuilderExt, SerialStream};

/// Why a capture failed: what was being done, and the system's reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CaptureError(String);

impl From<std::io::Error> for CaptureError {
    fn from(error: std::io::Error) -> CaptureError {
        CaptureError(error.to_string())
    }
}

/// Says what was being done when an operation failed.
trait Context<T> {
    /// The error, prefixed with `what`.
    fn context(self, what: impl std::fmt::Display) -> Result<T, CaptureError>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: impl std::fmt::Display) -> Result<T, CaptureError> {
        self.map_err(|error| CaptureError(format!("{what}: {error}")))
    }
}

/// Records `sources` into `output` (serial ports at `baud`) until every source closes or
/// Ctrl-C; returns each source's name and line count.
pub fn record(
    sources: Vec<Source>,
    baud: u32,
    output: &Path,
) -> Result<Vec<(String, u64)>, CaptureError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the I/O runtime")?;
    runtime.block_on(capture(sources, baud, output))
}

/// Where lines come from.
pub enum Source {
    /// A serial device.
    Serial(PathBuf),
    /// A TCP stream.
    Tcp(String),
}

/// One received line, stamped.
struct Line {
    source: usize,
    received_us: u128,
    text: String,
}

/// The fastest baud rate a serial port is opened at: the ESP32 family's UARTs top out at 5 Mbaud
/// (SOC_UART_BITRATE_MAX), and USB serial bridges below that.
pub const MAX_BAUD: u32 = 5_000_000;

/// Checks a baud rate: any whole rate from 1 to [`MAX_BAUD`] (Linux sets any rate a driver
/// supports, not only the classic termios table).
pub fn baud_rate(baud: u32) -> Result<u32, CaptureError> {
    if (1..=MAX_BAUD).contains(&baud) {
        Ok(baud)
    } else {
        Err(CaptureError(format!(
            "--baud {baud}: valid 1..={MAX_BAUD} (the ESP32 family's UARTs reach 5 Mbaud)"
        )))
    }
}

/// The name a source's lines are stamped with: a device path without `/dev/`, or `HOST:PORT`;
/// made unique with `#n` when two sources would share one.
fn source_names(sources: &[Source]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for source in sources {
        let base = match source {
            Source::Serial(path) => {
                let text = path.display().to_string();
                text.strip_prefix("/dev/")
                    .unwrap_or(&text)
                    .replace(' ', "_")
            }
            Source::Tcp(address) => address.replace(' ', "_"),
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}#{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Opens a serial device raw at `baud`, for asynchronous reads (inside the runtime).
fn open_serial(path: &Path, baud: u32) -> Result<SerialStream, CaptureError> {
    tokio_serial::new(path.to_string_lossy(), baud)
        .open_native_async()
        .context(format!("cannot open serial port {}", path.display()))
}

/// Splits bytes into stamped lines, keeping an unfinished line until the rest arrives.
struct Splitter {
    source: usize,
    start: Instant,
    pending: Vec<u8>,
    lines: u64,
}

impl Splitter {
    async fn feed(&mut self, bytes: &[u8], out: &mpsc::Sender<Line>) -> Result<(), CaptureError> {
        for &byte in bytes {
            if byte == b'\n' {
                self.emit(out).await?;
            } else {
                self.pending.push(byte);
            }
        }
        Ok(())
    }

    /// Sends the pending line (also an unfinished one, when the source ends).
    async fn emit(&mut self, out: &mpsc::Sender<Line>) -> Result<(), CaptureError> {
        if self.pending.last() == Some(&b'\r') {
            self.pending.pop();
        }
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        self.lines += 1;
        out.send(Line {
            source: self.source,
            received_us: self.start.elapsed().as_micros(),
            text,
        })
        .await
        .context("the trace writer stopped")
    }

    async fn finish(mut self, out: &mpsc::Sender<Line>) -> Result<u64, CaptureError> {
        if !self.pending.is_empty() {
            self.emit(out).await?;
        }
        Ok(self.lines)
    }
}

/// `EIO`: a serial line's other end hung up (a board reset, a closed pseudo-terminal).
const HUNG_UP: i32 = 5;

/// Reads a stream (a TCP stream or a serial port) until it ends, hangs up, or the capture stops.
async fn read_stream<R: AsyncRead + Unpin>(
    mut stream: R,
    mut splitter: Splitter,
    out: mpsc::Sender<Line>,
    mut stop: watch::Receiver<bool>,
) -> Result<u64, CaptureError> {
    let mut buffer = [0u8; 4096];
    loop {
        let n = tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Err(e) if e.raw_os_error() == Some(HUNG_UP) => break,
                read => read.context("read failed")?,
            },
            _ = stop.changed() => break,
        };
        if n == 0 {
            break;
        }
        splitter.feed(&buffer[..n], &out).await?;
    }
    splitter.finish(&out).await
}

/// Opens every source, then records them into `output` until they all close or Ctrl-C.
async fn capture(
    sources: Vec<Source>,
    baud: u32,
    output: &Path,
) -> Result<Vec<(String, u64)>, CaptureError> {
    let names = source_names(&sources);
    let (line_tx, mut lines) = mpsc::channel::<Line>(4096);
    let (stop_tx, stop) = watch::channel(false);
    let start = Instant::now();
    let mut readers = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let splitter = Splitter {
            source: index,
            start,
            pending: Vec::new(),
            lines: 0,
        };
        let (out, stop) = (line_tx.clone(), stop.clone());
        let task = match source {
            Source::Serial(path) => {
                let port = open_serial(path, baud)?;
                tokio::spawn(read_stream(port, splitter, out, stop))
            }
            Source::Tcp(address) => {
                let stream = tokio::net::TcpStream::connect(address)
                    .await
                    .context(format!("cannot connect to {address}"))?;
                tokio::spawn(read_stream(stream, splitter, out, stop))
            }
        };
        readers.push(task);
    }
    drop(line_tx);
    let file = tokio::fs::File::create(output)
        .await
        .context(format!("cannot create {}", output.display()))?;
    let mut writer = BufWriter::new(file);
    let described: Vec<String> = names
        .iter()
        .zip(&sources)
        .map(|(name, source)| match source {
            Source::Serial(path) => format!("{name} = {}", path.display()),
            Source::Tcp(address) => format!("{name} = tcp {address}"),
        })
        .collect();
    writer
        .write_all(
            format!(
                "# ruvsim capture of {}; host stamps: @<source> <microseconds since start>\n",
                described.join(", ")
            )
            .as_bytes(),
        )
        .await?;
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut interrupted = false;
    loop {
        let line = tokio::select! {
            line = lines.recv() => line,
            _ = &mut interrupt, if !interrupted => {
                interrupted = true;
                // Readers hand over what they hold and end; the loop drains their lines.
                let _ = stop_tx.send(true);
                continue;
            }
        };
        let Some(line) = line else { break };
        let stamped = format!(
            "@{} {} {}\n",
            names[line.source], line.received_us, line.text
        );
        writer.write_all(stamped.as_bytes()).await?;
        if lines.is_empty() {
            writer.flush().await?;
        }
    }
    writer.flush().await?;
    writer.into_inner().sync_all().await?;
    let mut counts = Vec::new();
    for (name, reader) in names.into_iter().zip(readers) {
        let lines = reader
            .await
            .context("a reader task failed")?
            .map_err(|e| CaptureError(format!("reading {name}: {e}")))?;
        counts.push((name, lines));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_without_dev() {
        let sources = [
            Source::Serial("/dev/ttyUSB0".into()),
            Source::Serial("/dev/ttyUSB0".into()),
            Source::Tcp("127.0.0.1:9".into()),
        ];
        assert_eq!(
            source_names(&sources),
            ["ttyUSB0", "ttyUSB0#2", "127.0.0.1:9"]
        );
    }

    #[test]
    fn baud_rates_up_to_five_megabaud_are_accepted() {
        assert_eq!(baud_rate(115_200).unwrap(), 115_200);
        assert_eq!(
            baud_rate(74_880).unwrap(),
            74_880,
            "the ESP32 boot ROM's rate"
        );
        for bad in [0, 5_000_001] {
            let err = baud_rate(bad).unwrap_err().to_string();
            assert!(err.contains("valid 1..=5000000"), "{err}");
        }
    }
}
