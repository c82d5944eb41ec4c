//! Search terms: what a product is found by, and what a search asks for.
//!
//! Both sides are folded the same way (lower case, diacritics dropped: `CAFÉ`, `Café` and
//! `cafe` are one term) and cut into words at anything that is not a letter or a digit.
//! A product stores its terms (name, description and category) in one field, its name
//! terms apart for ranking, and in a third the words a last query word is looked up by:
//! every term whole, and the prefixes (up to `MAX_PREFIX_CHARS` characters) of its name
//! and category terms. A search matches every word of the query as a whole term, except
//! the last, which may also be the start of a name or category term, so results follow the
//! user's typing (`runn` finds "Running shoe"); a description word matches once typed
//! whole (one longer than `MAX_PREFIX_CHARS` by its first characters, then compared whole). Both are equality conditions on multikey indexes, which every MongoDB-compatible
//! server answers from the index. (A range on one multikey field, `$gte`/`$lt`, may be met
//! by two different terms unless wrapped in `$elemMatch`, which not every server answers
//! from an index: stored prefixes need neither.) Prefixes of description words are left
//! out for size: they would be most of a product's index entries (some 300 for a
//! 30-word description against some 65 this way).

use std::collections::BTreeSet;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::domain::query::SearchText;

/// Terms longer than this are cut (an index key stays small; no word is that long).
const MAX_TERM_CHARS: usize = 40;
/// At most this many distinct terms are kept per product (a 2,000-character description
/// has about 300 words).
pub const MAX_TERMS: usize = 400;
/// Prefixes are stored up to this length; a longer last word is looked up by its first
/// `MAX_PREFIX_CHARS` characters and then compared whole.
pub const MAX_PREFIX_CHARS: usize = 10;
/// At most this many distinct lookup words (prefixes and whole terms) per product: name
/// and category first, so a long description cannot crowd them out.
pub const MAX_PREFIXES: usize = 800;

/// Lower case without diacritics.
fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of `text`, in order, repeats included.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// What one product is found by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTerms {
    /// Every distinct term of name, description and category, sorted.
    pub all: Vec<String>,
    /// The distinct terms of the name alone, sorted: a match there ranks higher.
    pub name: Vec<String>,
    /// What a last query word is looked up by, sorted: every distinct prefix (1 to
    /// `MAX_PREFIX_CHARS` characters) of the name and category terms, and every term whole.
    pub prefixes: Vec<String>,
}

impl ProductTerms {
    pub fn of(name: &str, description: &str, category: &str) -> Self {
        let titles: Vec<String> = words(name).into_iter().chain(words(category)).collect();
        let name_terms: BTreeSet<String> = words(name).into_iter().collect();
        let mut all = name_terms.clone();
        let mut prefixes = BTreeSet::new();
        for word in &titles {
            all.insert(word.clone());
            let ends = word.char_indices().map(|(i, c)| i + c.len_utf8());
            for end in ends.take(MAX_PREFIX_CHARS) {
                prefixes.insert(word[..end].to_owned());
            }
        }
        for word in words(description) {
            if all.len() >= MAX_TERMS {
                break;
            }
            all.insert(word);
        }
        for term in &all {
            if prefixes.len() >= MAX_PREFIXES {
                break;
            }
            prefixes.insert(term.clone());
            // A longer word is looked up by its first characters (`stored_prefix`).
            if let Some((cut, _)) = term.char_indices().nth(MAX_PREFIX_CHARS) {
                prefixes.insert(term[..cut].to_owned());
            }
        }
        Self {
            all: all.into_iter().collect(),
            name: name_terms.into_iter().collect(),
            prefixes: prefixes.into_iter().collect(),
        }
    }
}

/// A search as terms: every complete word must be a term of the product, and some term
/// must start with `prefix` (the last word, possibly still being typed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchTerms {
    pub complete: Vec<String>,
    pub prefix: String,
}

impl SearchTerms {
    /// The stored prefix to look the last word up by: itself, or its first
    /// `MAX_PREFIX_CHARS` characters when it is longer (then `prefix_is_cut`).
    pub fn stored_prefix(&self) -> &str {
        match self.prefix.char_indices().nth(MAX_PREFIX_CHARS) {
            Some((cut, _)) => &self.prefix[..cut],
            None => &self.prefix,
        }
    }

    /// Whether the last word is longer than the stored prefixes, so a term found by its
    /// stored prefix must still be compared whole.
    pub fn prefix_is_cut(&self) -> bool {
        self.stored_prefix().len() < self.prefix.len()
    }
}

impl SearchTerms {
    /// `None` when the search holds no letter or digit (it can match nothing).
    pub fn of(search: &SearchText) -> Option<Self> {
        let mut words = words(search.as_str());
        let prefix = words.pop()?;
        words.sort();
        words.dedup();
        Some(Self {
            complete: words,
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_diacritics_fold_away() {
        assert_eq!(
            words("CAFÉ Crème, naïve-Straße 42"),
            ["cafe", "creme", "naive", "straße", "42"]
        );
    }

    #[test]
    fn a_product_is_found_by_the_terms_of_its_name_description_and_category() {
        let terms = ProductTerms::of("Running Shoe", "Light shoe for trail running", "footwear");
        assert_eq!(terms.name, ["running", "shoe"]);
        assert!(terms.prefixes.iter().any(|p| p == "runn"));
        assert!(terms.prefixes.iter().any(|p| p == "f"), "of the category");
        assert!(
            terms.prefixes.iter().any(|p| p == "trail"),
            "description terms whole"
        );
        assert!(
            !terms.prefixes.iter().any(|p| p == "tra"),
            "but not their prefixes"
        );
        assert!(
            terms
                .prefixes
                .iter()
                .all(|p| p.chars().count() <= MAX_PREFIX_CHARS),
            "{:?}",
            terms.prefixes
        );
        assert_eq!(
            terms.all,
            ["footwear", "for", "light", "running", "shoe", "trail"]
        );
    }

    #[test]
    fn the_last_word_of_a_search_is_a_prefix() {
        let search = SearchText::parse("Trail  RUNN").unwrap();
        assert_eq!(
            SearchTerms::of(&search),
            Some(SearchTerms {
                complete: vec!["trail".into()],
                prefix: "runn".into()
            })
        );
        assert_eq!(SearchTerms::of(&SearchText::parse("--").unwrap()), None);
        let long = SearchTerms::of(&SearchText::parse("Überschallgeschwin").unwrap()).unwrap();
        assert_eq!(long.stored_prefix(), "uberschall");
        assert!(long.prefix_is_cut());
    }
}
