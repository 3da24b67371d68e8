//! Text formatting shared by every writer: exact fixed-point durations, byte counts, percentages
//! and HTML escaping. Everything here is deterministic (no locale, no clock).

use std::fmt::Write as _;

use ruvsim_engine::time::{PS_PER_MS, PS_PER_US};

/// `ps` picoseconds in microseconds, exactly, with six decimals (`1234.500000`).
pub fn micros(ps: u64) -> String {
    fixed(ps, PS_PER_US, 6)
}

/// `ps` picoseconds in milliseconds, rounded to three decimals (`12.346`).
pub fn millis(ps: u64) -> String {
    let rounded = (u128::from(ps) + u128::from(PS_PER_MS) / 2000) / (u128::from(PS_PER_MS) / 1000);
    format!("{}.{:03}", rounded / 1000, rounded % 1000)
}

/// `value / scale` written exactly with `decimals` digits, for a `scale` of `10^decimals`.
fn fixed(value: u64, scale: u64, decimals: usize) -> String {
    format!(
        "{}.{:0width$}",
        value / scale,
        value % scale,
        width = decimals
    )
}

/// An integer with thousands separators (`1,234,567`).
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: exact below 10 KiB, otherwise KiB / MiB with one decimal.
pub fn bytes(value: u64) -> String {
    const KIB: f64 = 1024.0;
    if value < 10 * 1024 {
        format!("{} B", grouped(value))
    } else if (value as f64) < KIB * KIB * 10.0 {
        format!("{:.1} KiB", value as f64 / KIB)
    } else {
        format!("{:.1} MiB", value as f64 / (KIB * KIB))
    }
}

/// A fraction as a percentage with one decimal (`87.5%`).
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// A real number with a precision suited to its size (tokens per second, speed-ups).
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        grouped_f64(value)
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A real number to four significant digits, without exponent (`0.01234`, `12.35`, `1,235`).
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 || value == 0.0 || !value.is_finite() {
        return number(value);
    }
    let digits = (3 - magnitude.log10().floor() as i32).clamp(0, 12) as usize;
    format!("{value:.digits$}")
}

/// Like [`number`] without trailing zeros after the decimal point (`4.2`, `20`).
pub fn short(value: f64) -> String {
    let text = number(value);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A large real number rounded to an integer, with thousands separators.
fn grouped_f64(value: f64) -> String {
    let rounded = value.round();
    let sign = if rounded < 0.0 { "-" } else { "" };
    format!("{sign}{}", grouped(rounded.abs() as u64))
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// A duration in seconds in the unit that suits its size, to four significant digits.
pub fn scaled_seconds(seconds: f64) -> (String, &'static str) {
    let (value, unit) = match seconds.abs() {
        0.0 => (0.0, "ms"),
        s if s < 1e-3 => (seconds * 1e6, "µs"),
        s if s < 10.0 => (seconds * 1e3, "ms"),
        s if s < 600.0 => (seconds, "s"),
        s if s < 36_000.0 => (seconds / 60.0, "min"),
        _ => (seconds / 3_600.0, "h"),
    };
    (significant(value), unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_are_exact() {
        assert_eq!(micros(0), "0.000000");
        assert_eq!(micros(1), "0.000001");
        assert_eq!(micros(1_234_500_000), "1234.500000");
    }

    #[test]
    fn millis_round_half_up() {
        assert_eq!(millis(1_234_500_000), "1.235");
        assert_eq!(millis(1_234_499_999), "1.234");
        assert_eq!(millis(0), "0.000");
    }

    #[test]
    fn grouping_and_bytes() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(20 * 1024), "20.0 KiB");
        assert_eq!(bytes(30 * 1024 * 1024), "30.0 MiB");
    }

    #[test]
    fn numbers_by_size() {
        assert_eq!(number(11_434.0), "11,434");
        assert_eq!(number(236.4), "236");
        assert_eq!(number(42.26), "42.3");
        assert_eq!(number(4.2), "4.20");
        assert_eq!(short(4.2), "4.2");
        assert_eq!(significant(0.012346), "0.01235");
        assert_eq!(significant(12.3456), "12.35");
        assert_eq!(significant(1234.5), "1,235");
        assert_eq!(short(20.0), "20");
        assert_eq!(short(11_434.0), "11,434");
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<b>\"a\" & 'b'</b>"),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("x\u{1}y"), "x&#1;y");
    }
}
