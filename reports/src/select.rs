//! Which rows a human-sized view shows: the HTML report lists at most [`HTML_ROW_CAP`] chips or
//! links (the busiest), and says how many it left out; the CSV files keep every row.

/// Most per-chip or per-link rows (and bars) in the HTML report.
pub const HTML_ROW_CAP: usize = 64;

/// The rows shown out of `total`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Indices shown, ascending.
    pub shown: Vec<usize>,
    /// Rows in all.
    pub total: usize,
}

impl Selection {
    /// Rows left out.
    pub fn elided(&self) -> usize {
        self.total - self.shown.len()
    }
}

/// The `cap` highest utilisations (ties go to the lower index), in index order.
pub fn busiest(utilisations: &[f64], cap: usize) -> Selection {
    let mut order: Vec<usize> = (0..utilisations.len()).collect();
    if order.len() > cap {
        order.sort_by(|&a, &b| utilisations[b].total_cmp(&utilisations[a]).then(a.cmp(&b)));
        order.truncate(cap);
        order.sort_unstable();
    }
    Selection {
        shown: order,
        total: utilisations.len(),
    }
}

/// Mean, smallest and largest of `values` (zeros when empty).
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let sum: f64 = values.iter().sum();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (sum / values.len() as f64, min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sets_are_shown_whole() {
        let s = busiest(&[0.1, 0.9, 0.5], 64);
        assert_eq!(s.shown, vec![0, 1, 2]);
        assert_eq!(s.elided(), 0);
    }

    #[test]
    fn large_sets_keep_the_busiest_in_index_order() {
        let s = busiest(&[0.1, 0.9, 0.5, 0.9, 0.2], 3);
        assert_eq!(s.shown, vec![1, 2, 3]);
        assert_eq!(s.elided(), 2);
        let ties = busiest(&[0.5; 5], 2);
        assert_eq!(ties.shown, vec![0, 1]);
    }

    #[test]
    fn spread_of_values() {
        assert_eq!(spread(&[0.25, 0.75, 0.5]), (0.5, 0.25, 0.75));
        assert_eq!(spread(&[]), (0.0, 0.0, 0.0));
    }
}
