//! Held-out metrics: ROC AUC with a bootstrap 95% confidence interval, per-class accuracy.

use crate::rng::Rng;

/// Area under the ROC curve: the probability that a random positive scores above a random negative (ties count
/// half) — the Mann–Whitney U statistic over n₊·n₋. `None` when one class is absent.
pub fn auc(scores: &[f32], labels: &[u8]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mid-ranks over ties.
    let mut rank = vec![0f64; scores.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            rank[k] = mid;
        }
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l == 1).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    let rank_sum: f64 = labels.iter().zip(&rank).filter(|(l, _)| **l == 1).map(|(_, r)| r).sum();
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Percentile bootstrap 95% CI of the AUC: `rounds` resamples of the cases with replacement.
pub fn auc_ci(scores: &[f32], labels: &[u8], rounds: usize, seed: u64) -> (f64, f64) {
    let mut rng = Rng::new(seed);
    let n = scores.len();
    let mut aucs = Vec::with_capacity(rounds);
    let (mut s, mut l) = (vec![0f32; n], vec![0u8; n]);
    while aucs.len() < rounds {
        for k in 0..n {
            let i = rng.below(n);
            s[k] = scores[i];
            l[k] = labels[i];
        }
        if let Some(a) = auc(&s, &l) {
            aucs.push(a);
        }
    }
    aucs.sort_by(f64::total_cmp);
    let at = |q: f64| aucs[((q * (rounds - 1) as f64).round() as usize).min(rounds - 1)];
    (at(0.025), at(0.975))
}

/// Wilson score 95% interval for a proportion k/n.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n, p) = (1.959964f64, n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_inverted_rankings() {
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[0, 0, 1, 1]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[0, 0, 1, 1]), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &[0, 1, 0, 1]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.6], &[1, 1]), None);
    }

    #[test]
    fn auc_counts_pairs_by_hand() {
        // Positives 0.4, 0.7; negatives 0.2, 0.5, 0.7. Pairs won: 0.4>0.2 (1); 0.7>0.2, 0.7>0.5, 0.7=0.7 (2.5).
        let auc = auc(&[0.4, 0.7, 0.2, 0.5, 0.7], &[1, 1, 0, 0, 0]).unwrap();
        assert!((auc - 3.5 / 6.0).abs() < 1e-12, "{auc}");
    }

    #[test]
    fn bootstrap_interval_brackets_the_estimate_and_is_reproducible() {
        let mut rng = Rng::new(7);
        let labels: Vec<u8> = (0..200).map(|i| (i % 2) as u8).collect();
        let scores: Vec<f32> = labels.iter().map(|&l| l as f32 * 0.6 + rng.unit() as f32).collect();
        let a = auc(&scores, &labels).unwrap();
        let (lo, hi) = auc_ci(&scores, &labels, 500, 1);
        assert!(lo < a && a < hi && hi - lo < 0.2, "{lo} {a} {hi}");
        assert_eq!(auc_ci(&scores, &labels, 500, 1), (lo, hi));
    }

    #[test]
    fn wilson_interval_matches_a_known_value() {
        // 81/100: Wilson 95% ≈ (0.7222, 0.8749).
        let (lo, hi) = wilson(81, 100);
        assert!((lo - 0.7222).abs() < 1e-3 && (hi - 0.8749).abs() < 1e-3, "{lo} {hi}");
    }
}
