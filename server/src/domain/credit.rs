//! The credit scorecard, pure: five weighted parts computed from what Meridian knows of a
//! user ([`CreditInputs`]), the score and its rating band, the factors that moved it and
//! one recommendation per factor. No clock, no I/O: the caller gathers the inputs inside
//! its transaction and stores the [`Scorecard`]. Exact decimals throughout.
//!
//! # Rules (model [`MODEL_VERSION`] 1.0.0)
//!
//! Each [`Part`] gets a ratio `r` in `[0, 1]` and earns
//! `points = round_half_up(r × max_points, 2)`, where `max_points = weight × 550 / 100`
//! (`r × max_points` is computed as one exact division, so the rounding sees the true
//! value). `score = 300 + Σ points`, rounded half-up to an integer: always 300–850.
//!
//! | part | weight | max | ratio `r` | neutral `r` |
//! |---|---|---|---|---|
//! | payment history | 35 | 192.5 | `on_time / (on_time + late)`; no payments → 0.7 | 0.7 |
//! | amounts owed | 30 | 165 | `1 − 0.6·u`, `u = outstanding / approved` clamped to `[0, 1]`; nothing approved → 0.7 | 0.7 |
//! | length of history | 15 | 82.5 | `min(age_days, 730) / 730` (negative age → 0) | 0.5 |
//! | new credit | 10 | 55 | `max(0, 1 − 0.2·inquiries_90d)` | 0.8 (one inquiry) |
//! | credit mix | 10 | 55 | `min(1, 0.2 + 0.2·min(loan_types, 3) + 0.2 if trades)` | 0.6 |
//!
//! **Rating** ([`Rating::of`]): 800–850 Exceptional, 740–799 Very Good, 670–739 Good,
//! 580–669 Fair, below 580 Poor.
//!
//! **Factors**: a part is reported iff its points differ from its neutral points
//! (`round_half_up(neutral r × max_points, 2)`): `positive` above, `negative` below. They
//! come most influential first (by `|points − neutral points|`, ties in [`Part::ALL`]
//! order). **Recommendations**: exactly one per factor, in the same order: what keeps a
//! positive part up, or what raises a negative one.

use std::cmp::Reverse;

use rust_decimal::Decimal;

use super::symbols::round_half_up;
use super::text_enum;

/// Version of the scorecard; changes whenever rules or weights change.
pub const MODEL_VERSION: &str = "1.0.0";

/// The lowest possible score (no part earns a point).
pub const MIN_SCORE: i64 = 300;

/// The highest possible score (every part earns its maximum).
pub const MAX_SCORE: i64 = 850;

/// Account age, in days, that earns all the length-of-history points (two years).
const FULL_HISTORY_DAYS: i64 = 730;

/// What Meridian knows of a user, as the scorecard reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreditInputs {
    /// Loan payments made on or before their due date.
    pub payments_on_time: u32,
    /// Loan payments made after their due date.
    pub payments_late: u32,
    /// Σ outstanding principal of the user's approved and active loans.
    pub outstanding_principal: Decimal,
    /// Σ approved amount of the user's approved, active and paid-off loans.
    pub approved_principal: Decimal,
    /// Whole days since the account was created (>= 0).
    pub account_age_days: i64,
    /// Loan applications (credit_inquiry events) in the last 90 days.
    pub inquiries_90d: u32,
    /// Distinct loan types among approved, active and paid-off loans (0..=4).
    pub loan_types_held: u32,
    /// Whether the user has made at least one trade.
    pub has_trades: bool,
}

text_enum!(
    /// One weighted part of the scorecard (the keys of `components`).
    Part {
        /// Loan payments on time versus late (weight 35).
        PaymentHistory = "payment_history",
        /// Outstanding loan principal against the approved amounts (weight 30).
        AmountsOwed = "amounts_owed",
        /// Age of the account (weight 15).
        LengthOfHistory = "length_of_history",
        /// Loan applications in the last 90 days (weight 10).
        NewCredit = "new_credit",
        /// Loan types held and trading activity (weight 10).
        CreditMix = "credit_mix",
    }
);

impl Part {
    /// Every part, in the order of the spec's table.
    pub const ALL: [Part; 5] = [
        Part::PaymentHistory,
        Part::AmountsOwed,
        Part::LengthOfHistory,
        Part::NewCredit,
        Part::CreditMix,
    ];

    /// The part's weight in percent (the weights add up to 100).
    pub fn weight(self) -> u32 {
        match self {
            Part::PaymentHistory => 35,
            Part::AmountsOwed => 30,
            Part::LengthOfHistory => 15,
            Part::NewCredit | Part::CreditMix => 10,
        }
    }

    /// The most the part can add to 300: `weight × 550 / 100` (192.5, 165, 82.5, 55, 55).
    pub fn max_points(self) -> Decimal {
        Decimal::new(i64::from(self.weight()) * 55, 1).normalize()
    }

    /// The ratio at which the part is neither a positive nor a negative factor.
    pub fn neutral_ratio(self) -> Decimal {
        match self {
            Part::PaymentHistory | Part::AmountsOwed => Decimal::new(7, 1),
            Part::LengthOfHistory => Decimal::new(5, 1),
            Part::NewCredit => Decimal::new(8, 1),
            Part::CreditMix => Decimal::new(6, 1),
        }
    }

    /// The points earned at the neutral ratio: `round_half_up(neutral × max_points, 2)`.
    pub fn neutral_points(self) -> Decimal {
        round_half_up(self.neutral_ratio() * self.max_points(), 2)
    }
}

text_enum!(
    /// Which way a factor moved the score.
    Impact {
        /// Raised the score (above the part's neutral points).
        Positive = "positive",
        /// Lowered the score (below the part's neutral points).
        Negative = "negative",
        /// Neither (never produced by the scorecard; used by credit events).
        Neutral = "neutral",
    }
);

text_enum!(
    /// The band a score falls in (seed 003's rating table).
    Rating {
        /// 800–850.
        Exceptional = "Exceptional",
        /// 740–799.
        VeryGood = "Very Good",
        /// 670–739.
        Good = "Good",
        /// 580–669.
        Fair = "Fair",
        /// 300–579.
        Poor = "Poor",
    }
);

impl Rating {
    /// The band of `score`: 800 and above Exceptional, 740–799 Very Good, 670–739 Good,
    /// 580–669 Fair, anything lower Poor.
    pub fn of(score: i64) -> Rating {
        match score {
            800.. => Rating::Exceptional,
            740..=799 => Rating::VeryGood,
            670..=739 => Rating::Good,
            580..=669 => Rating::Fair,
            _ => Rating::Poor,
        }
    }
}

/// The points one part earned (its weight and maximum come from [`Component::part`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The part.
    pub part: Part,
    /// Points added to 300, from 0 to `part.max_points()`, rounded half-up to cents.
    pub points: Decimal,
}

/// A part that moved the score away from its neutral points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// The part it is about.
    pub part: Part,
    /// Short name, e.g. "Excellent payment history".
    pub factor: String,
    /// `Positive` (above neutral) or `Negative` (below).
    pub impact: Impact,
    /// What it is based on, with the actual figures.
    pub description: String,
}

/// A computed score with its breakdown and explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    /// `300 + Σ components[*].points`, rounded half-up: 300–850.
    pub score: i64,
    /// The band of `score`.
    pub rating: Rating,
    /// One per part, in [`Part::ALL`] order.
    pub components: Vec<Component>,
    /// The parts that moved the score, most influential first.
    pub factors: Vec<Factor>,
    /// One per factor, in the same order.
    pub recommendations: Vec<String>,
}

/// An exact ratio `num / den` with `den > 0` and `0 <= num <= den`.
struct Ratio {
    num: Decimal,
    den: Decimal,
}

impl Ratio {
    fn new(num: impl Into<Decimal>, den: impl Into<Decimal>) -> Self {
        Self {
            num: num.into(),
            den: den.into(),
        }
    }

    /// `round_half_up(num × max / den, 2)`, with a single division so that a value
    /// exactly on a midpoint is not nudged below it by an inexact `num / den`.
    fn points(&self, max: Decimal) -> Decimal {
        let exact = match self.num.checked_mul(max) {
            Some(product) => product / self.den,
            None => self.num / self.den * max,
        };
        round_half_up(exact, 2)
    }
}

/// The ratio of `part` for `inputs` (see the module's table).
fn ratio(part: Part, inputs: &CreditInputs) -> Ratio {
    match part {
        Part::PaymentHistory => {
            let payments = u64::from(inputs.payments_on_time) + u64::from(inputs.payments_late);
            if payments == 0 {
                Ratio::new(part.neutral_ratio(), 1)
            } else {
                Ratio::new(inputs.payments_on_time, payments)
            }
        }
        Part::AmountsOwed => match owed(inputs) {
            None => Ratio::new(part.neutral_ratio(), 1),
            Some((outstanding, approved)) => Ratio::new(approved - Decimal::new(6, 1) * outstanding, approved),
        },
        Part::LengthOfHistory => Ratio::new(inputs.account_age_days.clamp(0, FULL_HISTORY_DAYS), FULL_HISTORY_DAYS),
        Part::NewCredit => Ratio::new(5 - inputs.inquiries_90d.min(5), 5),
        Part::CreditMix => {
            let fifths = 1 + inputs.loan_types_held.min(3) + u32::from(inputs.has_trades);
            Ratio::new(fifths.min(5), 5)
        }
    }
}

/// `(outstanding clamped to [0, approved], approved)`, or `None` when nothing was approved.
fn owed(inputs: &CreditInputs) -> Option<(Decimal, Decimal)> {
    let approved = inputs.approved_principal;
    (approved > Decimal::ZERO).then(|| (inputs.outstanding_principal.clamp(Decimal::ZERO, approved), approved))
}

/// The scorecard of `inputs`: deterministic, pure.
pub fn score(inputs: &CreditInputs) -> Scorecard {
    let components: Vec<Component> = Part::ALL
        .iter()
        .map(|&part| Component {
            part,
            points: ratio(part, inputs).points(part.max_points()),
        })
        .collect();
    let total = Decimal::from(MIN_SCORE) + components.iter().map(|c| c.points).sum::<Decimal>();
    let score = i64::try_from(round_half_up(total, 0))
        .expect("a sum of at most 850")
        .clamp(MIN_SCORE, MAX_SCORE);

    let mut moved: Vec<(Part, Decimal)> = components
        .iter()
        .map(|c| (c.part, c.points - c.part.neutral_points()))
        .filter(|(_, delta)| !delta.is_zero())
        .collect();
    // Stable: equal distances keep Part::ALL order.
    moved.sort_by_key(|(_, delta)| Reverse(delta.abs()));
    let (factors, recommendations) = moved
        .into_iter()
        .map(|(part, delta)| {
            let impact = if delta > Decimal::ZERO {
                Impact::Positive
            } else {
                Impact::Negative
            };
            explain(part, impact, inputs)
        })
        .unzip();

    Scorecard {
        score,
        rating: Rating::of(score),
        components,
        factors,
        recommendations,
    }
}

/// `"1 day"`, `"2 days"`.
fn count(n: impl Into<i128>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The factor and the recommendation for a part that moved the score.
fn explain(part: Part, impact: Impact, inputs: &CreditInputs) -> (Factor, String) {
    let up = impact == Impact::Positive;
    let (factor, description, recommendation) = match part {
        Part::PaymentHistory => {
            let on_time = inputs.payments_on_time;
            let late = inputs.payments_late;
            let total = u64::from(on_time) + u64::from(late);
            let (factor, description) = if up && late == 0 {
                let description = if total == 1 {
                    "The only loan payment was made on time".to_string()
                } else {
                    format!("All {total} loan payments were made on time")
                };
                ("Excellent payment history", description)
            } else if up {
                (
                    "Good payment history",
                    format!("{on_time} of {total} loan payments were made on time"),
                )
            } else if total == 1 {
                ("Late loan payments", "1 of 1 loan payment was late".to_string())
            } else {
                (
                    "Late loan payments",
                    format!("{late} of {total} loan payments were late"),
                )
            };
            let recommendation = if up {
                "Continue making on-time payments"
            } else {
                "Pay every installment on or before its due date"
            };
            (factor, description, recommendation)
        }
        Part::AmountsOwed => {
            let percent = owed(inputs)
                .map(
                    |(outstanding, approved)| match outstanding.checked_mul(Decimal::ONE_HUNDRED) {
                        Some(hundredfold) => hundredfold / approved,
                        None => outstanding / approved * Decimal::ONE_HUNDRED,
                    },
                )
                .unwrap_or_default();
            let description = format!(
                "{}% of the approved loan principal is still owed",
                round_half_up(percent, 1)
            );
            if up {
                ("Low debt ratio", description, "Maintain low credit utilization")
            } else {
                ("High debt ratio", description, "Pay down outstanding loan principal")
            }
        }
        Part::LengthOfHistory => {
            let description = format!(
                "The account is {} old",
                count(inputs.account_age_days.max(0), "day", "days")
            );
            if up {
                (
                    "Established credit history",
                    description,
                    "Keep your account in good standing",
                )
            } else {
                (
                    "Short credit history",
                    description,
                    "Keep your account open: the length of history counts up to two years",
                )
            }
        }
        Part::NewCredit => {
            if up {
                (
                    "No recent credit applications",
                    "No loan applications in the last 90 days".to_string(),
                    "Apply for new credit only when you need it",
                )
            } else {
                (
                    "Several recent credit applications",
                    format!(
                        "{} in the last 90 days",
                        count(inputs.inquiries_90d, "loan application", "loan applications")
                    ),
                    "Avoid new loan applications for the next 90 days",
                )
            }
        }
        Part::CreditMix => {
            let description = format!(
                "{} held with Meridian; {}",
                count(inputs.loan_types_held, "loan type", "loan types"),
                if inputs.has_trades {
                    "trading activity"
                } else {
                    "no trading activity"
                }
            );
            if up {
                ("Diverse credit mix", description, "Maintain a healthy mix of credit")
            } else {
                (
                    "Limited credit mix",
                    description,
                    "A mix of loan types and trading activity raises this part",
                )
            }
        }
    };
    (
        Factor {
            part,
            factor: factor.to_string(),
            impact,
            description,
        },
        recommendation.to_string(),
    )
}

/// The fixed input of [`self_check`]: every part away from its bounds.
fn self_check_inputs() -> CreditInputs {
    CreditInputs {
        payments_on_time: 11,
        payments_late: 1,
        outstanding_principal: Decimal::from(2_500),
        approved_principal: Decimal::from(10_000),
        account_age_days: 300,
        inquiries_90d: 2,
        loan_types_held: 2,
        has_trades: true,
    }
}

/// Health probe of the model: scores a fixed input and compares with the known result.
pub fn self_check() -> bool {
    let card = score(&self_check_inputs());
    let points: Vec<Decimal> = card.components.iter().map(|c| c.points).collect();
    let expected_points = [
        Decimal::new(17646, 2),
        Decimal::new(14025, 2),
        Decimal::new(3390, 2),
        Decimal::new(33, 0),
        Decimal::new(44, 0),
    ];
    let moved: Vec<(Part, Impact)> = card.factors.iter().map(|f| (f.part, f.impact)).collect();
    let expected_moved = [
        (Part::PaymentHistory, Impact::Positive),
        (Part::AmountsOwed, Impact::Positive),
        (Part::NewCredit, Impact::Negative),
        (Part::CreditMix, Impact::Positive),
        (Part::LengthOfHistory, Impact::Negative),
    ];
    card.score == 728
        && card.rating == Rating::Good
        && points == expected_points
        && moved == expected_moved
        && card.recommendations.len() == card.factors.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn points(card: &Scorecard, part: Part) -> Decimal {
        card.components.iter().find(|c| c.part == part).unwrap().points
    }

    fn factor(card: &Scorecard, part: Part) -> Option<&Factor> {
        card.factors.iter().find(|f| f.part == part)
    }

    fn names(card: &Scorecard) -> Vec<&str> {
        card.factors.iter().map(|f| f.factor.as_str()).collect()
    }

    /// Asserts that every part but `changed` has the same points and the same factor.
    fn others_unchanged(before: &Scorecard, after: &Scorecard, changed: Part) {
        for part in Part::ALL.into_iter().filter(|&p| p != changed) {
            assert_eq!(points(before, part), points(after, part), "{part:?} points");
            assert_eq!(factor(before, part), factor(after, part), "{part:?} factor");
        }
    }

    /// A middling user: every part at or near neutral.
    fn typical() -> CreditInputs {
        CreditInputs {
            payments_on_time: 7,
            payments_late: 3,
            outstanding_principal: d("500"),
            approved_principal: d("1000"),
            account_age_days: 365,
            inquiries_90d: 1,
            loan_types_held: 2,
            has_trades: false,
        }
    }

    #[test]
    fn parts_weights_and_maxima() {
        let names: Vec<&str> = Part::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "payment_history",
                "amounts_owed",
                "length_of_history",
                "new_credit",
                "credit_mix"
            ]
        );
        let weights: Vec<u32> = Part::ALL.iter().map(|p| p.weight()).collect();
        assert_eq!(weights, [35, 30, 15, 10, 10]);
        let maxima: Vec<Decimal> = Part::ALL.iter().map(|p| p.max_points()).collect();
        assert_eq!(maxima, [d("192.5"), d("165"), d("82.5"), d("55"), d("55")]);
        assert_eq!(Part::AmountsOwed.max_points().to_string(), "165");
        assert_eq!(maxima.iter().sum::<Decimal>(), Decimal::from(MAX_SCORE - MIN_SCORE));
        let neutral: Vec<Decimal> = Part::ALL.iter().map(|p| p.neutral_points()).collect();
        assert_eq!(neutral, [d("134.75"), d("115.5"), d("41.25"), d("44"), d("33")]);
        for p in Part::ALL {
            assert_eq!(p.as_str().parse::<Part>(), Ok(p));
        }
        assert_eq!("Very Good".parse::<Rating>(), Ok(Rating::VeryGood));
        assert_eq!(Impact::Negative.as_str(), "negative");
        assert!("very_good".parse::<Rating>().is_err());
    }

    #[test]
    fn the_default_inputs_score_616_fair() {
        let card = score(&CreditInputs::default());
        let pts: Vec<Decimal> = card.components.iter().map(|c| c.points).collect();
        assert_eq!(pts, [d("134.75"), d("115.5"), d("0"), d("55"), d("11")]);
        let parts: Vec<Part> = card.components.iter().map(|c| c.part).collect();
        assert_eq!(parts, Part::ALL);
        assert_eq!(card.score, 616);
        assert_eq!(card.rating, Rating::Fair);
        assert_eq!(
            card.factors,
            [
                Factor {
                    part: Part::LengthOfHistory,
                    factor: "Short credit history".into(),
                    impact: Impact::Negative,
                    description: "The account is 0 days old".into(),
                },
                Factor {
                    part: Part::CreditMix,
                    factor: "Limited credit mix".into(),
                    impact: Impact::Negative,
                    description: "0 loan types held with Meridian; no trading activity".into(),
                },
                Factor {
                    part: Part::NewCredit,
                    factor: "No recent credit applications".into(),
                    impact: Impact::Positive,
                    description: "No loan applications in the last 90 days".into(),
                },
            ]
        );
        assert_eq!(
            card.recommendations,
            [
                "Keep your account open: the length of history counts up to two years",
                "A mix of loan types and trading activity raises this part",
                "Apply for new credit only when you need it",
            ]
        );
    }

    #[test]
    fn rating_band_edges() {
        let cases = [
            (300, Rating::Poor),
            (579, Rating::Poor),
            (580, Rating::Fair),
            (669, Rating::Fair),
            (670, Rating::Good),
            (739, Rating::Good),
            (740, Rating::VeryGood),
            (799, Rating::VeryGood),
            (800, Rating::Exceptional),
            (850, Rating::Exceptional),
        ];
        for (score, rating) in cases {
            assert_eq!(Rating::of(score), rating, "{score}");
        }
    }

    #[test]
    fn the_best_inputs_score_850_exceptional() {
        let best = CreditInputs {
            payments_on_time: 24,
            payments_late: 0,
            outstanding_principal: Decimal::ZERO,
            approved_principal: d("5000"),
            account_age_days: 1_000,
            inquiries_90d: 0,
            loan_types_held: 4,
            has_trades: true,
        };
        let card = score(&best);
        assert_eq!(card.score, 850);
        assert_eq!(card.rating, Rating::Exceptional);
        for c in &card.components {
            assert_eq!(c.points, c.part.max_points(), "{:?}", c.part);
        }
        assert_eq!(
            names(&card),
            [
                "Excellent payment history",
                "Low debt ratio",
                "Established credit history",
                "Diverse credit mix",
                "No recent credit applications",
            ]
        );
        assert!(card.factors.iter().all(|f| f.impact == Impact::Positive));
        assert_eq!(
            factor(&card, Part::PaymentHistory).unwrap().description,
            "All 24 loan payments were made on time"
        );
        assert_eq!(
            factor(&card, Part::AmountsOwed).unwrap().description,
            "0% of the approved loan principal is still owed"
        );
        assert_eq!(
            factor(&card, Part::LengthOfHistory).unwrap().description,
            "The account is 1000 days old"
        );
        assert_eq!(
            factor(&card, Part::CreditMix).unwrap().description,
            "4 loan types held with Meridian; trading activity"
        );
        assert_eq!(
            card.recommendations,
            [
                "Continue making on-time payments",
                "Maintain low credit utilization",
                "Keep your account in good standing",
                "Maintain a healthy mix of credit",
                "Apply for new credit only when you need it",
            ]
        );
    }

    #[test]
    fn the_worst_inputs_stay_at_or_above_300() {
        let worst = CreditInputs {
            payments_on_time: 0,
            payments_late: 6,
            outstanding_principal: d("1000"),
            approved_principal: d("1000"),
            account_age_days: 0,
            inquiries_90d: 9,
            loan_types_held: 0,
            has_trades: false,
        };
        let card = score(&worst);
        let pts: Vec<Decimal> = card.components.iter().map(|c| c.points).collect();
        assert_eq!(pts, [d("0"), d("66"), d("0"), d("0"), d("11")]);
        assert_eq!(card.score, 377);
        assert!(card.score >= MIN_SCORE);
        assert_eq!(card.rating, Rating::Poor);
        assert!(card.factors.iter().all(|f| f.impact == Impact::Negative));
        assert_eq!(card.factors.len(), 5);
        assert_eq!(
            factor(&card, Part::PaymentHistory).unwrap().description,
            "6 of 6 loan payments were late"
        );
        assert_eq!(
            factor(&card, Part::AmountsOwed).unwrap().description,
            "100% of the approved loan principal is still owed"
        );
        assert_eq!(
            factor(&card, Part::NewCredit).unwrap().description,
            "9 loan applications in the last 90 days"
        );

        // Out-of-range inputs are clamped, never a panic or a score outside 300–850.
        let absurd = CreditInputs {
            payments_on_time: u32::MAX,
            payments_late: u32::MAX,
            outstanding_principal: Decimal::MAX,
            approved_principal: d("0.01"),
            account_age_days: i64::MIN,
            inquiries_90d: u32::MAX,
            loan_types_held: u32::MAX,
            has_trades: true,
        };
        let card = score(&absurd);
        assert!((MIN_SCORE..=MAX_SCORE).contains(&card.score));
        assert_eq!(points(&card, Part::AmountsOwed), d("66"));
        assert_eq!(points(&card, Part::LengthOfHistory), Decimal::ZERO);
        assert_eq!(points(&card, Part::NewCredit), Decimal::ZERO);
        assert_eq!(points(&card, Part::CreditMix), d("55"));
        assert_eq!(
            factor(&card, Part::LengthOfHistory).unwrap().description,
            "The account is 0 days old"
        );
        let huge = CreditInputs {
            outstanding_principal: d("70000000000000000000000000000"),
            approved_principal: d("79000000000000000000000000000"),
            ..CreditInputs::default()
        };
        assert!((MIN_SCORE..=MAX_SCORE).contains(&score(&huge).score));
        let negative = CreditInputs {
            outstanding_principal: d("-5"),
            approved_principal: d("-10"),
            ..CreditInputs::default()
        };
        assert_eq!(score(&negative), score(&CreditInputs::default()));
    }

    #[test]
    fn a_typical_user_has_no_factor() {
        let card = score(&typical());
        for c in &card.components {
            assert_eq!(c.points, c.part.neutral_points(), "{:?}", c.part);
        }
        assert!(card.factors.is_empty());
        assert!(card.recommendations.is_empty());
        // 300 + 134.75 + 115.5 + 41.25 + 44 + 33 = 668.5 → 669.
        assert_eq!(card.score, 669);
        assert_eq!(card.rating, Rating::Fair);
    }

    #[test]
    fn a_late_payment_makes_payment_history_negative() {
        // No payments at all: neutral, no factor.
        let none = CreditInputs::default();
        let before = score(&none);
        assert!(factor(&before, Part::PaymentHistory).is_none());
        let one_late = CreditInputs {
            payments_late: 1,
            ..none.clone()
        };
        let after = score(&one_late);
        assert_eq!(points(&after, Part::PaymentHistory), Decimal::ZERO);
        let f = factor(&after, Part::PaymentHistory).unwrap();
        assert_eq!(f.factor, "Late loan payments");
        assert_eq!(f.impact, Impact::Negative);
        assert_eq!(f.description, "1 of 1 loan payment was late");
        assert_eq!(after.factors[0].part, Part::PaymentHistory);
        assert_eq!(
            after.recommendations[0],
            "Pay every installment on or before its due date"
        );
        others_unchanged(&before, &after, Part::PaymentHistory);

        // All on time: positive; one late out of three: negative, fewer points.
        let on_time = CreditInputs {
            payments_on_time: 2,
            payments_late: 0,
            ..typical()
        };
        let before = score(&on_time);
        let f = factor(&before, Part::PaymentHistory).unwrap();
        assert_eq!(f.factor, "Excellent payment history");
        assert_eq!(f.impact, Impact::Positive);
        assert_eq!(f.description, "All 2 loan payments were made on time");
        assert_eq!(before.recommendations[0], "Continue making on-time payments");
        let late = CreditInputs {
            payments_late: 1,
            ..on_time.clone()
        };
        let after = score(&late);
        assert!(points(&after, Part::PaymentHistory) < points(&before, Part::PaymentHistory));
        assert_eq!(points(&after, Part::PaymentHistory), d("128.33"));
        let f = factor(&after, Part::PaymentHistory).unwrap();
        assert_eq!(f.factor, "Late loan payments");
        assert_eq!(f.impact, Impact::Negative);
        assert_eq!(f.description, "1 of 3 loan payments were late");
        assert!(after.score < before.score);
        others_unchanged(&before, &after, Part::PaymentHistory);

        // Mostly on time: still positive, but "good" rather than "excellent".
        let mostly = CreditInputs {
            payments_on_time: 9,
            payments_late: 1,
            ..typical()
        };
        let f = factor(&score(&mostly), Part::PaymentHistory).cloned().unwrap();
        assert_eq!(f.factor, "Good payment history");
        assert_eq!(f.impact, Impact::Positive);
        assert_eq!(f.description, "9 of 10 loan payments were made on time");
        let single = score(&CreditInputs {
            payments_on_time: 1,
            payments_late: 0,
            ..typical()
        });
        assert_eq!(
            factor(&single, Part::PaymentHistory).unwrap().description,
            "The only loan payment was made on time"
        );
    }

    #[test]
    fn more_inquiries_make_new_credit_negative() {
        let base = typical();
        let by_inquiries: Vec<Scorecard> = (0..=3)
            .map(|n| {
                score(&CreditInputs {
                    inquiries_90d: n,
                    ..base.clone()
                })
            })
            .collect();
        let pts: Vec<Decimal> = by_inquiries.iter().map(|c| points(c, Part::NewCredit)).collect();
        assert_eq!(pts, [d("55"), d("44"), d("33"), d("22")]);
        let f0 = factor(&by_inquiries[0], Part::NewCredit).unwrap();
        assert_eq!(f0.factor, "No recent credit applications");
        assert_eq!(f0.impact, Impact::Positive);
        assert!(factor(&by_inquiries[1], Part::NewCredit).is_none());
        for (card, n) in by_inquiries[2..].iter().zip(2..) {
            let f = factor(card, Part::NewCredit).unwrap();
            assert_eq!(f.factor, "Several recent credit applications");
            assert_eq!(f.impact, Impact::Negative);
            assert_eq!(f.description, format!("{n} loan applications in the last 90 days"));
            assert_eq!(
                card.recommendations,
                ["Avoid new loan applications for the next 90 days"]
            );
        }
        for pair in by_inquiries.windows(2) {
            others_unchanged(&pair[0], &pair[1], Part::NewCredit);
            assert!(pair[1].score < pair[0].score);
        }
        let many = score(&CreditInputs {
            inquiries_90d: 7,
            ..base
        });
        assert_eq!(points(&many, Part::NewCredit), Decimal::ZERO);
    }

    #[test]
    fn paying_down_principal_flips_amounts_owed() {
        let heavy = CreditInputs {
            outstanding_principal: d("900"),
            ..typical()
        };
        let before = score(&heavy);
        assert_eq!(points(&before, Part::AmountsOwed), d("75.9"));
        let f = factor(&before, Part::AmountsOwed).unwrap();
        assert_eq!(f.factor, "High debt ratio");
        assert_eq!(f.impact, Impact::Negative);
        assert_eq!(f.description, "90% of the approved loan principal is still owed");
        assert_eq!(before.recommendations, ["Pay down outstanding loan principal"]);

        let half = score(&CreditInputs {
            outstanding_principal: d("500"),
            ..heavy.clone()
        });
        assert!(factor(&half, Part::AmountsOwed).is_none());

        let light = CreditInputs {
            outstanding_principal: d("200"),
            ..heavy
        };
        let after = score(&light);
        assert_eq!(points(&after, Part::AmountsOwed), d("145.2"));
        let f = factor(&after, Part::AmountsOwed).unwrap();
        assert_eq!(f.factor, "Low debt ratio");
        assert_eq!(f.impact, Impact::Positive);
        assert_eq!(f.description, "20% of the approved loan principal is still owed");
        assert_eq!(after.recommendations, ["Maintain low credit utilization"]);
        assert!(after.score > before.score);
        others_unchanged(&before, &after, Part::AmountsOwed);
        others_unchanged(&before, &half, Part::AmountsOwed);
    }

    #[test]
    fn amounts_owed_rounds_the_exact_value() {
        // u = 1/24: 165 − 99/24 = 160.875 exactly, which rounds up; an inexact 1/24
        // first would give 160.8749… and round down.
        let card = score(&CreditInputs {
            outstanding_principal: d("1"),
            approved_principal: d("24"),
            ..CreditInputs::default()
        });
        assert_eq!(points(&card, Part::AmountsOwed), d("160.88"));
        assert_eq!(
            factor(&card, Part::AmountsOwed).unwrap().description,
            "4.2% of the approved loan principal is still owed"
        );
    }

    #[test]
    fn account_age_moves_length_of_history() {
        let at = |days: i64| {
            score(&CreditInputs {
                account_age_days: days,
                ..typical()
            })
        };
        let young = at(1);
        assert_eq!(points(&young, Part::LengthOfHistory), d("0.11"));
        let f = factor(&young, Part::LengthOfHistory).unwrap();
        assert_eq!(f.factor, "Short credit history");
        assert_eq!(f.impact, Impact::Negative);
        assert_eq!(f.description, "The account is 1 day old");
        assert!(factor(&at(365), Part::LengthOfHistory).is_none());
        let old = at(400);
        let f = factor(&old, Part::LengthOfHistory).unwrap();
        assert_eq!(f.factor, "Established credit history");
        assert_eq!(f.impact, Impact::Positive);
        assert_eq!(f.description, "The account is 400 days old");
        assert_eq!(old.recommendations, ["Keep your account in good standing"]);
        others_unchanged(&young, &old, Part::LengthOfHistory);
        assert_eq!(points(&at(730), Part::LengthOfHistory), d("82.5"));
        assert_eq!(at(730).components, at(5_000).components);
    }

    #[test]
    fn loan_types_and_trading_move_credit_mix() {
        let with = |types: u32, trades: bool| {
            score(&CreditInputs {
                loan_types_held: types,
                has_trades: trades,
                ..typical()
            })
        };
        let one = with(1, false);
        assert_eq!(points(&one, Part::CreditMix), d("22"));
        let f = factor(&one, Part::CreditMix).unwrap();
        assert_eq!(f.factor, "Limited credit mix");
        assert_eq!(f.impact, Impact::Negative);
        assert_eq!(f.description, "1 loan type held with Meridian; no trading activity");
        assert!(factor(&with(1, true), Part::CreditMix).is_none());
        let diverse = with(3, true);
        assert_eq!(points(&diverse, Part::CreditMix), d("55"));
        let f = factor(&diverse, Part::CreditMix).unwrap();
        assert_eq!(f.factor, "Diverse credit mix");
        assert_eq!(f.impact, Impact::Positive);
        assert_eq!(f.description, "3 loan types held with Meridian; trading activity");
        others_unchanged(&one, &diverse, Part::CreditMix);
        assert_eq!(with(4, false).components, with(3, false).components);
    }

    #[test]
    fn factors_are_ordered_by_distance_then_part() {
        let card = score(&self_check_inputs());
        let deltas: Vec<Decimal> = card
            .factors
            .iter()
            .map(|f| (points(&card, f.part) - f.part.neutral_points()).abs())
            .collect();
        assert_eq!(deltas, [d("41.71"), d("24.75"), d("11"), d("11"), d("7.35")]);
        // New credit and credit mix tie at 11: Part::ALL order decides.
        assert_eq!(
            names(&card),
            [
                "Good payment history",
                "Low debt ratio",
                "Several recent credit applications",
                "Diverse credit mix",
                "Short credit history",
            ]
        );
        assert_eq!(
            card.recommendations,
            [
                "Continue making on-time payments",
                "Maintain low credit utilization",
                "Avoid new loan applications for the next 90 days",
                "Maintain a healthy mix of credit",
                "Keep your account open: the length of history counts up to two years",
            ]
        );
        assert_eq!(
            factor(&card, Part::CreditMix).unwrap().description,
            "2 loan types held with Meridian; trading activity"
        );
        assert_eq!(
            factor(&card, Part::AmountsOwed).unwrap().description,
            "25% of the approved loan principal is still owed"
        );
    }

    #[test]
    fn the_total_rounds_half_up() {
        // 134.75 + 115.5 + 8.25 + 55 + 11 = 324.5 → 624.5 → 625.
        let card = score(&CreditInputs {
            account_age_days: 73,
            ..CreditInputs::default()
        });
        assert_eq!(points(&card, Part::LengthOfHistory), d("8.25"));
        assert_eq!(card.score, 625);
        // 1 day: 0.11 → 616.36 → 616.
        let card = score(&CreditInputs {
            account_age_days: 1,
            ..CreditInputs::default()
        });
        assert_eq!(card.score, 616);
        for inputs in [CreditInputs::default(), typical(), self_check_inputs()] {
            let card = score(&inputs);
            let total = Decimal::from(300) + card.components.iter().map(|c| c.points).sum::<Decimal>();
            assert_eq!(Decimal::from(card.score), round_half_up(total, 0));
        }
    }

    #[test]
    fn scoring_is_deterministic() {
        for inputs in [CreditInputs::default(), typical(), self_check_inputs()] {
            assert_eq!(score(&inputs), score(&inputs.clone()));
        }
    }

    #[test]
    fn the_self_check_passes() {
        assert!(self_check());
        let card = score(&self_check_inputs());
        assert_eq!(card.score, 728);
        assert_eq!(card.rating, Rating::Good);
        assert_eq!(MODEL_VERSION, "1.0.0");
    }
}
