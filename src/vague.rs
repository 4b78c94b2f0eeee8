//! Tool descriptions a model cannot decide from. One rule serves `check`, which reads them in
//! the source, and `probe`, which reads them from `tools/list`.

/// What is wrong with a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vague {
    Missing,
    /// Under 20 characters: too short to say what the tool does and to what.
    TooShort,
    /// The tool's name again, or a placeholder such as "does stuff".
    Generic,
}

const GENERIC: &[&str] = &[
    "does stuff",
    "a tool",
    "tool",
    "todo",
    "helper",
    "utility",
    "does things",
    "runs the tool",
];

/// The problem with `description` of the tool `name`, if any.
pub fn vague(description: &str, name: &str) -> Option<Vague> {
    let d = description.trim();
    if d.is_empty() {
        return Some(Vague::Missing);
    }
    if d.chars().count() < 20 {
        return Some(Vague::TooShort);
    }
    let lower = d.trim_end_matches('.').to_ascii_lowercase();
    let spoken_name = name.replace(['_', '-'], " ").to_ascii_lowercase();
    (lower == spoken_name || GENERIC.contains(&lower.as_str())).then_some(Vague::Generic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_short_and_generic_descriptions_are_told_apart() {
        assert_eq!(vague("  ", "x"), Some(Vague::Missing));
        assert_eq!(vague("Weather.", "get_weather"), Some(Vague::TooShort));
        assert_eq!(
            vague("Runs the tool.", "runner"),
            Some(Vague::TooShort),
            "too short is checked first"
        );
        assert_eq!(
            vague("Read the configuration file", "read_the_configuration_file"),
            Some(Vague::Generic)
        );
        assert_eq!(
            vague(
                "Return tomorrow's weather forecast for a city name.",
                "get_forecast"
            ),
            None
        );
    }
}
