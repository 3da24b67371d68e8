//! The calibration tables' citation "CAL sN": section N of `SOURCES.md` beside the tables (shipped
//! with the crate), which gives every figure's public document, its path in its repository and the
//! commit read. [`section`] resolves a citation so that a report can print where it leads.

/// The sources document the citations point to.
pub const SOURCES: &str = include_str!("SOURCES.md");

/// Where the sources document lives in the ruvsim repository.
pub const SOURCES_PATH: &str = "hw/src/calibration/SOURCES.md";

/// A numbered section of the sources document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Its number (the N of "CAL sN").
    pub number: u32,
    /// Its title ("Links").
    pub title: String,
    /// The public documents and repositories it cites: every back-quoted path or name, every
    /// datasheet it names, and every web address in it, in order, each once.
    pub documents: Vec<String>,
}

/// The section a citation's number names, if the document has it.
pub fn section(number: u32) -> Option<Section> {
    let heading = format!("## {number}. ");
    let start = SOURCES.find(&heading)?;
    let body = &SOURCES[start + heading.len()..];
    let (title, rest) = body.split_once('\n')?;
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let text = &rest[..end];
    let mut documents: Vec<String> = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 && !part.is_empty() && !documents.iter().any(|d| d == part) {
            documents.push(part.to_string());
        }
    }
    // Datasheets are named in prose ("ESP32-S3 datasheet v2.0 Table 5-9, current in mA").
    for line in text.lines() {
        let head = line.split(':').next().unwrap_or("");
        let head = head.split(',').next().unwrap_or("").trim();
        if head.contains("datasheet") && !head.starts_with('|') {
            let name = head.trim_start_matches("- ").to_string();
            if !documents.contains(&name) {
                documents.push(name);
            }
        }
    }
    for word in text.split_whitespace() {
        let word =
            word.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | ';' | '.' | '<' | '>'));
        if word.starts_with("http") && !documents.iter().any(|d| d == word) {
            documents.push(word.to_string());
        }
    }
    Some(Section {
        number,
        title: title.trim().to_string(),
        documents,
    })
}

/// The section numbers a source text cites (`CAL s4: ...` gives 4).
pub fn cited(source: &str) -> Vec<u32> {
    source
        .match_indices("CAL s")
        .filter_map(|(at, _)| {
            let digits: String = source[at + 5..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::{Calibration, Variant};

    /// Every citation in every shipped table resolves to a section of the document.
    #[test]
    fn every_citation_of_the_tables_resolves() {
        for variant in Variant::ALL {
            let calibration = Calibration::builtin(variant);
            for (key, entry) in calibration.entries() {
                for number in cited(&entry.source.to_string()) {
                    assert!(
                        section(number).is_some(),
                        "{variant:?} {key}: CAL s{number} is not a section"
                    );
                }
            }
        }
        let links = section(4).expect("section 4");
        assert_eq!(links.title, "Links");
        assert!(links.documents.iter().any(|d| d.contains("spi_master.rst")));
        let power = section(5).expect("section 5");
        assert!(
            power
                .documents
                .iter()
                .any(|d| d == "ESP32-S3 datasheet v2.0 Table 5-9"),
            "{:?}",
            power.documents
        );
        assert_eq!(cited("CAL s4: spi_master.rst; CAL s12"), vec![4, 12]);
        assert!(section(99).is_none());
    }
}
