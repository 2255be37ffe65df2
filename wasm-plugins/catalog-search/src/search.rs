//! Ranked, typo-tolerant search over the catalog: the algorithm, free of any
//! MicroCore call so `cargo test` runs it on the host against the shared vectors
//! (domains/catalog/search-vectors.json). Its twin, domains/catalog/search-index.ts,
//! must rank exactly as this file does: change both, or neither.
//!
//! Products are cut into tokens (lower case, diacritics folded, runs of letters
//! and digits). Each distinct token is a term with a posting list of the products
//! holding it and the weight of the best field it appears in. A query token is
//! matched against the terms that share enough bigrams with it (a lossless filter
//! for the edit budget), then scored by one optimal-string-alignment table that
//! gives both the whole-term and the best-prefix distance. A product's score is the
//! sum, over query tokens, of its best term score × field weight; the top `limit`
//! are kept in a small heap.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

/// Field weights (×10): a name or sku hit counts more than a brand or category hit.
const NAME: u32 = 10;
const SKU: u32 = 10;
const BRAND: u32 = 7;
const CATEGORY: u32 = 6;
/// Query tokens past these limits are dropped or cut: they bound the work per query.
pub const MAX_QUERY_TOKENS: usize = 8;
pub const MAX_TOKEN_CHARS: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub brand: String,
    pub category: String,
    pub sku: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub name: String,
    pub score: u32,
}

pub struct Index {
    products: Vec<Product>,
    /// How many tokens each product's name has: fewer wins a tie (a closer match).
    name_tokens: Vec<u32>,
    terms: Vec<Vec<char>>,
    term_ids: HashMap<String, u32>,
    /// Per term: (product index, best field weight).
    postings: Vec<Vec<(u32, u32)>>,
    /// Per bigram: the terms holding it, each once.
    bigrams: HashMap<(char, char), Vec<u32>>,
    // Scratch, kept between queries so a search allocates little.
    shared: Vec<u32>,
    /// Tests compare the bigram filter with a scan of every term.
    #[cfg(test)]
    unfiltered: bool,
    best: Vec<u32>,
    total: Vec<u32>,
}

/// Lower case with common Latin diacritics folded to ASCII ("Café" → "cafe").
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match FOLDS.iter().find(|(from, _)| from.contains(c)) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    out
}

const FOLDS: [(&str, &str); 21] = [
    ("àáâãäåāăą", "a"),
    ("çćč", "c"),
    ("ďđ", "d"),
    ("èéêëēėęě", "e"),
    ("ìíîïīı", "i"),
    ("ñńň", "n"),
    ("òóôõöøō", "o"),
    ("ùúûüūů", "u"),
    ("ýÿ", "y"),
    ("śšş", "s"),
    ("źżž", "z"),
    ("ł", "l"),
    ("ř", "r"),
    ("ğ", "g"),
    ("ť", "t"),
    ("ß", "ss"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("þ", "th"),
    ("ð", "d"),
    ("ľĺ", "l"),
];

/// The folded runs of letters and digits.
pub fn tokens(text: &str) -> Vec<String> {
    fold(text).split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(String::from).collect()
}

/// Edits a query token may have and still match: none up to 3 letters, then 1, then 2 from 7.
fn max_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }
}

/// The score of term `t` for query token `q` (at least 2 chars), or None past the
/// edit budget: exact 100, prefix 80, then 70/60 for one edit (whole/prefix), 50/40 for two.
fn term_score(q: &[char], t: &[char], k: usize) -> Option<u32> {
    let m = q.len();
    let n = t.len().min(m + k);
    // Three rows of the optimal-string-alignment table: i-2, i-1, i.
    let mut rows = [[0u8; MAX_TOKEN_CHARS + 3]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(n + 1) {
        *cell = j as u8;
    }
    for i in 1..=m {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i as u8;
        let mut row_min = i as u8;
        for j in 1..=n {
            let cost = u8::from(q[i - 1] != t[j - 1]);
            let mut d = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && q[i - 1] == t[j - 2] && q[i - 2] == t[j - 1] {
                d = d.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = d;
            row_min = row_min.min(d);
        }
        // No later row can come back under the budget (see the twin's comment).
        if row_min as usize > k {
            return None;
        }
    }
    let last = &rows[m % 3][..=n];
    let whole = if t.len() <= n { last[n] as usize } else { usize::MAX };
    let prefix = *last.iter().min().unwrap() as usize;
    [(whole, 0, 100), (prefix, 0, 80), (whole, 1, 70), (prefix, 1, 60), (whole, 2, 50), (prefix, 2, 40)]
        .into_iter()
        .find(|&(dist, edits, _)| dist == edits && edits <= k)
        .map(|(_, _, score)| score)
}

fn bigrams(chars: &[char]) -> Vec<(char, char)> {
    let mut out: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Index {
    pub fn new(products: Vec<Product>) -> Index {
        let mut index = Index {
            name_tokens: Vec::with_capacity(products.len()),
            terms: Vec::new(),
            term_ids: HashMap::new(),
            postings: Vec::new(),
            bigrams: HashMap::new(),
            shared: Vec::new(),
            #[cfg(test)]
            unfiltered: false,
            best: vec![0; products.len()],
            total: vec![0; products.len()],
            products: Vec::new(),
        };
        for (p, product) in products.iter().enumerate() {
            let names = tokens(&product.name);
            index.name_tokens.push(names.len() as u32);
            let fields = [(names, NAME), (tokens(&product.sku), SKU), (tokens(&product.brand), BRAND)];
            for (field, weight) in fields.into_iter().chain([(tokens(&product.category), CATEGORY)]) {
                for token in field {
                    index.add(token, p as u32, weight);
                }
            }
        }
        index.shared = vec![0; index.terms.len()];
        index.products = products;
        index
    }

    fn add(&mut self, token: String, product: u32, weight: u32) {
        let id = match self.term_ids.get(&token) {
            Some(&id) => id,
            None => {
                let id = self.terms.len() as u32;
                let chars: Vec<char> = token.chars().collect();
                for bigram in bigrams(&chars) {
                    self.bigrams.entry(bigram).or_default().push(id);
                }
                self.terms.push(chars);
                self.postings.push(Vec::new());
                self.term_ids.insert(token, id);
                id
            }
        };
        let posting = &mut self.postings[id as usize];
        match posting.last_mut() {
            Some(last) if last.0 == product => last.1 = last.1.max(weight),
            _ => posting.push((product, weight)),
        }
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// The matching terms of one query token, with their scores.
    fn matches(&mut self, q: &[char]) -> Vec<(u32, u32)> {
        if q.len() < 2 {
            let token: String = q.iter().collect();
            return self.term_ids.get(&token).map(|&id| vec![(id, 100)]).unwrap_or_default();
        }
        let k = max_edits(q.len());
        let grams = bigrams(q);
        // An edit changes at most 3 of a token's bigrams (a transposition), so a
        // term within k edits of q, or of its prefix, shares all but 3k of them.
        let needed = grams.len().saturating_sub(3 * k).max(1) as u32;
        let mut touched = Vec::new();
        #[cfg(test)]
        let grams = if self.unfiltered {
            touched.extend(0..self.terms.len() as u32);
            self.shared.fill(needed);
            Vec::new()
        } else {
            grams
        };
        for gram in &grams {
            for &term in self.bigrams.get(gram).map(Vec::as_slice).unwrap_or_default() {
                if self.shared[term as usize] == 0 {
                    touched.push(term);
                }
                self.shared[term as usize] += 1;
            }
        }
        let mut out = Vec::new();
        for term in touched {
            if self.shared[term as usize] >= needed {
                if let Some(score) = term_score(q, &self.terms[term as usize], k) {
                    out.push((term, score));
                }
            }
            self.shared[term as usize] = 0;
        }
        out
    }

    /// The best `limit` products for `query`, best first; ties go to the shorter name, then the lower id.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<Hit> {
        let mut seen: Vec<Vec<char>> = Vec::new();
        for token in tokens(query) {
            let chars: Vec<char> = token.chars().take(MAX_TOKEN_CHARS).collect();
            if !seen.contains(&chars) && seen.len() < MAX_QUERY_TOKENS {
                seen.push(chars);
            }
        }
        let mut scored: Vec<u32> = Vec::new();
        for q in &seen {
            let mut hit: Vec<u32> = Vec::new();
            for (term, score) in self.matches(q) {
                for &(p, weight) in &self.postings[term as usize] {
                    let value = score * weight;
                    if self.best[p as usize] == 0 {
                        hit.push(p);
                    }
                    self.best[p as usize] = self.best[p as usize].max(value);
                }
            }
            for p in hit {
                if self.total[p as usize] == 0 {
                    scored.push(p);
                }
                self.total[p as usize] += std::mem::take(&mut self.best[p as usize]);
            }
        }
        let mut heap: BinaryHeap<Reverse<Rank>> = BinaryHeap::with_capacity(limit + 1);
        for p in scored {
            let rank = Rank {
                score: std::mem::take(&mut self.total[p as usize]),
                name_tokens: self.name_tokens[p as usize],
                id: self.products[p as usize].id,
                p,
            };
            if heap.len() < limit {
                heap.push(Reverse(rank));
            } else if heap.peek().is_some_and(|worst| rank > worst.0) {
                heap.pop();
                heap.push(Reverse(rank));
            }
        }
        let ranked = heap.into_sorted_vec(); // ascending Reverse: best first
        ranked
            .into_iter()
            .map(|Reverse(r)| Hit { id: r.id, name: self.products[r.p as usize].name.clone(), score: r.score })
            .collect()
    }
}

#[cfg(test)]
impl Index {
    /// search, with every term a candidate: what the bigram filter must not change.
    pub fn search_unfiltered(&mut self, query: &str, limit: usize) -> Vec<Hit> {
        self.unfiltered = true;
        let hits = self.search(query, limit);
        self.unfiltered = false;
        hits
    }
}

/// Greater is better: higher score, then fewer name tokens, then lower id.
#[derive(PartialEq, Eq)]
struct Rank {
    score: u32,
    name_tokens: u32,
    id: i64,
    p: u32,
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.cmp(&other.score).then(other.name_tokens.cmp(&self.name_tokens)).then(other.id.cmp(&self.id))
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
