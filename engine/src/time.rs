//! Simulated time: integer picoseconds.
//!
//! [`Time`] is an instant (picoseconds since the start of a run) and [`Duration`] a span. Both wrap
//! a `u64`, which covers about 213 days of simulated time at picosecond resolution: one clock cycle
//! at 240 MHz is 4,166.67 ps, so a picosecond grid keeps cycle-level detail while every sum stays an
//! exact integer (no float accumulation, identical on every host).
//!
//! Rounding rules, applied everywhere a rate turns into a duration:
//! - whole-unit constructors (`from_ns`, `from_us`, ...) are exact multiplications;
//! - work measured in cycles or bits at a rate ([`Duration::from_cycles`],
//!   [`Duration::from_millicycles`], [`Duration::from_bits_at_rate`]) is rounded **up** to the next
//!   picosecond, so modelled work never takes less time than it would on the hardware, and a
//!   non-zero amount of work never takes zero time;
//! - decimal user input ([`Duration::from_secs_f64`]) is rounded to the nearest picosecond.
//!
//! Arithmetic that can overflow has checked forms (`checked_add`, ...) returning `None`; the
//! operator forms (`+`, `-`, `*`) panic on overflow like `std::time::Duration` does, and are meant
//! for values already known to be in range. Conversion to `f64` seconds exists for reporting only.

use core::fmt;
use core::ops::{Add, AddAssign, Mul, Sub};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Picoseconds in one nanosecond.
pub const PS_PER_NS: u64 = 1_000;
/// Picoseconds in one microsecond.
pub const PS_PER_US: u64 = 1_000_000;
/// Picoseconds in one millisecond.
pub const PS_PER_MS: u64 = 1_000_000_000;
/// Picoseconds in one second.
pub const PS_PER_S: u64 = 1_000_000_000_000;

/// Why a duration could not be formed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TimeError {
    /// The result does not fit in `u64` picoseconds (about 213 days).
    #[error("duration overflows u64 picoseconds (more than about 213 days)")]
    Overflow,
    /// A decimal input was negative, NaN or infinite.
    #[error("duration must be a finite, non-negative number of seconds, got {0}")]
    NotFiniteOrNegative(f64),
    /// A rate (clock, bit rate) of zero was given.
    #[error("rate must be greater than zero")]
    ZeroRate,
}

/// A span of simulated time in picoseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Duration(u64);

/// An instant of simulated time: picoseconds since the start of the run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(u64);

/// `ceil(numerator / denominator)` for a non-zero denominator.
fn div_ceil_u128(numerator: u128, denominator: u128) -> u128 {
    numerator.div_ceil(denominator)
}

/// Converts a picosecond count computed in `u128` into a [`Duration`], failing on overflow.
fn duration_from_u128(ps: u128) -> Result<Duration, TimeError> {
    u64::try_from(ps)
        .map(Duration)
        .map_err(|_| TimeError::Overflow)
}

impl Duration {
    /// The empty span.
    pub const ZERO: Duration = Duration(0);
    /// The longest representable span.
    pub const MAX: Duration = Duration(u64::MAX);

    /// A span of `ps` picoseconds.
    pub const fn from_ps(ps: u64) -> Duration {
        Duration(ps)
    }

    /// A span of whole nanoseconds. Panics on overflow (use [`Duration::checked_from_ns`] for
    /// untrusted input).
    pub const fn from_ns(ns: u64) -> Duration {
        match ns.checked_mul(PS_PER_NS) {
            Some(ps) => Duration(ps),
            None => panic!("Duration::from_ns overflows u64 picoseconds"),
        }
    }

    /// A span of whole microseconds. Panics on overflow.
    pub const fn from_us(us: u64) -> Duration {
        match us.checked_mul(PS_PER_US) {
            Some(ps) => Duration(ps),
            None => panic!("Duration::from_us overflows u64 picoseconds"),
        }
    }

    /// A span of whole milliseconds. Panics on overflow.
    pub const fn from_ms(ms: u64) -> Duration {
        match ms.checked_mul(PS_PER_MS) {
            Some(ps) => Duration(ps),
            None => panic!("Duration::from_ms overflows u64 picoseconds"),
        }
    }

    /// A span of whole seconds. Panics on overflow (more than 213 days).
    pub const fn from_secs(s: u64) -> Duration {
        match s.checked_mul(PS_PER_S) {
            Some(ps) => Duration(ps),
            None => panic!("Duration::from_secs overflows u64 picoseconds"),
        }
    }

    /// A span of whole nanoseconds, or an error on overflow.
    pub fn checked_from_ns(ns: u64) -> Result<Duration, TimeError> {
        ns.checked_mul(PS_PER_NS)
            .map(Duration)
            .ok_or(TimeError::Overflow)
    }

    /// A span of whole microseconds, or an error on overflow.
    pub fn checked_from_us(us: u64) -> Result<Duration, TimeError> {
        us.checked_mul(PS_PER_US)
            .map(Duration)
            .ok_or(TimeError::Overflow)
    }

    /// A span given in (possibly fractional) seconds, rounded to the nearest picosecond.
    /// For decimal user input such as a latency in a scenario file.
    pub fn from_secs_f64(seconds: f64) -> Result<Duration, TimeError> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(TimeError::NotFiniteOrNegative(seconds));
        }
        let ps = (seconds * PS_PER_S as f64).round();
        if ps >= u64::MAX as f64 {
            return Err(TimeError::Overflow);
        }
        Ok(Duration(ps as u64))
    }

    /// The time `cycles` clock cycles take at `clock_hz`, rounded up to whole picoseconds.
    pub fn from_cycles(cycles: u64, clock_hz: u64) -> Result<Duration, TimeError> {
        Duration::from_millicycles(u128::from(cycles) * 1_000, clock_hz)
    }

    /// The time `millicycles / 1000` clock cycles take at `clock_hz`, rounded up to whole
    /// picoseconds. Cycle costs are kept in milli-cycles so that fractional per-operation costs
    /// (1.69 cycles per MAC) sum exactly.
    pub fn from_millicycles(millicycles: u128, clock_hz: u64) -> Result<Duration, TimeError> {
        if clock_hz == 0 {
            return Err(TimeError::ZeroRate);
        }
        let numerator = millicycles
            .checked_mul(u128::from(PS_PER_S))
            .ok_or(TimeError::Overflow)?;
        duration_from_u128(div_ceil_u128(numerator, u128::from(clock_hz) * 1_000))
    }

    /// The time `bits` take at `bits_per_second`, rounded up to whole picoseconds.
    pub fn from_bits_at_rate(bits: u128, bits_per_second: u64) -> Result<Duration, TimeError> {
        if bits_per_second == 0 {
            return Err(TimeError::ZeroRate);
        }
        let numerator = bits
            .checked_mul(u128::from(PS_PER_S))
            .ok_or(TimeError::Overflow)?;
        duration_from_u128(div_ceil_u128(numerator, u128::from(bits_per_second)))
    }

    /// Picoseconds in this span.
    pub const fn as_ps(self) -> u64 {
        self.0
    }

    /// This span in seconds, for reporting only (never feed it back into the simulation).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / PS_PER_S as f64
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Duration) -> Option<Duration> {
        match self.0.checked_add(other.0) {
            Some(ps) => Some(Duration(ps)),
            None => None,
        }
    }

    /// `self - other`, or `None` if `other` is longer.
    pub const fn checked_sub(self, other: Duration) -> Option<Duration> {
        match self.0.checked_sub(other.0) {
            Some(ps) => Some(Duration(ps)),
            None => None,
        }
    }

    /// `self * factor`, or `None` on overflow.
    pub const fn checked_mul(self, factor: u64) -> Option<Duration> {
        match self.0.checked_mul(factor) {
            Some(ps) => Some(Duration(ps)),
            None => None,
        }
    }

    /// `self + other`, clamped at [`Duration::MAX`]. Only for values where clamping is the
    /// intended meaning (for example "never" deadlines); simulation sums use `checked_add`.
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
}

impl Time {
    /// The start of a run.
    pub const ZERO: Time = Time(0);
    /// The latest representable instant.
    pub const MAX: Time = Time(u64::MAX);

    /// The instant `ps` picoseconds after the start.
    pub const fn from_ps(ps: u64) -> Time {
        Time(ps)
    }

    /// Picoseconds since the start.
    pub const fn as_ps(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for reporting only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / PS_PER_S as f64
    }

    /// The span from the start of the run to this instant.
    pub const fn since_start(self) -> Duration {
        Duration(self.0)
    }

    /// `self + span`, or `None` past the end of representable time.
    pub const fn checked_add(self, span: Duration) -> Option<Time> {
        match self.0.checked_add(span.0) {
            Some(ps) => Some(Time(ps)),
            None => None,
        }
    }

    /// The span from `earlier` to `self`, or `None` if `earlier` is later than `self`.
    pub const fn checked_duration_since(self, earlier: Time) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(ps) => Some(Duration(ps)),
            None => None,
        }
    }
}

impl Add for Duration {
    type Output = Duration;
    /// Panics on overflow; see [`Duration::checked_add`].
    fn add(self, rhs: Duration) -> Duration {
        self.checked_add(rhs).expect("Duration addition overflow")
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub for Duration {
    type Output = Duration;
    /// Panics if `rhs` is longer than `self`; see [`Duration::checked_sub`].
    fn sub(self, rhs: Duration) -> Duration {
        self.checked_sub(rhs)
            .expect("Duration subtraction underflow")
    }
}

impl Mul<u64> for Duration {
    type Output = Duration;
    /// Panics on overflow; see [`Duration::checked_mul`].
    fn mul(self, rhs: u64) -> Duration {
        self.checked_mul(rhs)
            .expect("Duration multiplication overflow")
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    /// Panics past the end of representable time; see [`Time::checked_add`].
    fn add(self, rhs: Duration) -> Time {
        self.checked_add(rhs).expect("Time overflow")
    }
}

impl AddAssign<Duration> for Time {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub for Time {
    type Output = Duration;
    /// Panics if `rhs` is later than `self`; see [`Time::checked_duration_since`].
    fn sub(self, rhs: Time) -> Duration {
        self.checked_duration_since(rhs)
            .expect("Time subtraction: rhs is later than self")
    }
}

/// Formats picoseconds with the largest unit that keeps the value readable.
fn format_ps(ps: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (unit, scale) = if ps >= PS_PER_S {
        ("s", PS_PER_S)
    } else if ps >= PS_PER_MS {
        ("ms", PS_PER_MS)
    } else if ps >= PS_PER_US {
        ("us", PS_PER_US)
    } else if ps >= PS_PER_NS {
        ("ns", PS_PER_NS)
    } else {
        return write!(f, "{ps} ps");
    };
    write!(f, "{:.3} {unit}", ps as f64 / scale as f64)
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_ps(self.0, f)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("t=")?;
        format_ps(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_unit_constructors_are_exact() {
        assert_eq!(Duration::from_ns(3).as_ps(), 3_000);
        assert_eq!(Duration::from_us(3).as_ps(), 3_000_000);
        assert_eq!(Duration::from_ms(3).as_ps(), 3_000_000_000);
        assert_eq!(Duration::from_secs(3).as_ps(), 3_000_000_000_000);
        assert_eq!(
            Duration::checked_from_us(u64::MAX),
            Err(TimeError::Overflow)
        );
    }

    #[test]
    fn cycles_round_up_to_the_next_picosecond() {
        // One cycle at 240 MHz is 4166.67 ps: rounded up to 4167.
        assert_eq!(
            Duration::from_cycles(1, 240_000_000).unwrap().as_ps(),
            4_167
        );
        // 240 cycles at 240 MHz is exactly 1 us.
        assert_eq!(
            Duration::from_cycles(240, 240_000_000).unwrap(),
            Duration::from_us(1)
        );
        // 1.69 cycles (1690 milli-cycles) at 240 MHz: 7041.67 ps -> 7042.
        assert_eq!(
            Duration::from_millicycles(1_690, 240_000_000)
                .unwrap()
                .as_ps(),
            7_042
        );
        assert_eq!(Duration::from_cycles(1, 0), Err(TimeError::ZeroRate));
        assert_eq!(Duration::from_cycles(0, 1).unwrap(), Duration::ZERO);
    }

    #[test]
    fn bits_at_rate() {
        // 10 bits at 5 Mbaud = 2 us.
        assert_eq!(
            Duration::from_bits_at_rate(10, 5_000_000).unwrap(),
            Duration::from_us(2)
        );
        // 1 bit at 3 bit/s = 333,333,333,333.33 ps -> rounded up.
        assert_eq!(
            Duration::from_bits_at_rate(1, 3).unwrap().as_ps(),
            333_333_333_334
        );
        assert_eq!(
            Duration::from_bits_at_rate(u128::MAX, 1),
            Err(TimeError::Overflow)
        );
    }

    #[test]
    fn decimal_seconds_round_to_nearest_and_reject_bad_input() {
        assert_eq!(
            Duration::from_secs_f64(2.5e-6).unwrap(),
            Duration::from_ns(2_500)
        );
        assert!(Duration::from_secs_f64(-1.0).is_err());
        assert!(Duration::from_secs_f64(f64::NAN).is_err());
        assert_eq!(Duration::from_secs_f64(1e12), Err(TimeError::Overflow));
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Duration::MAX.checked_add(Duration::from_ps(1)), None);
        assert_eq!(Duration::ZERO.checked_sub(Duration::from_ps(1)), None);
        assert_eq!(Time::MAX.checked_add(Duration::from_ps(1)), None);
        let t = Time::from_ps(10) + Duration::from_ps(5);
        assert_eq!(t - Time::from_ps(10), Duration::from_ps(5));
        assert_eq!(
            Time::from_ps(1).checked_duration_since(Time::from_ps(2)),
            None
        );
    }

    #[test]
    fn display_picks_a_readable_unit() {
        assert_eq!(Duration::from_ps(12).to_string(), "12 ps");
        assert_eq!(Duration::from_us(1_500).to_string(), "1.500 ms");
        assert_eq!(Time::from_ps(2 * PS_PER_S).to_string(), "t=2.000 s");
    }
}
