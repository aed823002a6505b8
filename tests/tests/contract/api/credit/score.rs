//! `POST /api/credit/calculate-score`: seed 003's request bodies (and none at all) all score a
//! new user, with the documented shape and the exact scorecard of a brand-new account;
//! `walletAddress` is checked as an EIP-55 address, defaults to the profile's wallet and
//! does not move the score; unknown and ill-typed fields are 400s naming them.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{request, signed_in_user};
use serde_json::{Value, json};

use super::support::{
    AMOUNTS_OWED, Card, PAYMENT_HISTORY, SEED_WALLET, T0, calculate, calculate_raw, force, pts, start,
};

/// The scorecard of an account created today with no loans and no trades.
fn assert_brand_new(card: &Card) {
    assert_eq!(card.score, 616, "300 + 134.75 + 115.5 + 0 + 55 + 11 = 616.25 → 616");
    assert_eq!(card.rating, "Fair");
    assert_eq!(card.points, pts(["134.75", "115.5", "0", "55", "11"]));
    // Most influential first: length of history (−41.25 from neutral), credit mix (−22),
    // new credit (+11). Payment history and amounts owed sit at neutral: no factor.
    assert_eq!(
        card.names(),
        [
            "Short credit history",
            "Limited credit mix",
            "No recent credit applications"
        ]
    );
    let impacts: Vec<&str> = card.factors.iter().map(|f| f.impact.as_str()).collect();
    assert_eq!(impacts, ["negative", "negative", "positive"]);
    assert_eq!(card.factors[0].description, "The account is 0 days old");
    assert_eq!(
        card.factors[1].description,
        "0 loan types held with Meridian; no trading activity"
    );
    assert_eq!(card.factors[2].description, "No loan applications in the last 90 days");
    assert!(
        card.factor_of(PAYMENT_HISTORY).is_none(),
        "no loans: no payment-history factor"
    );
    assert!(card.factor_of(AMOUNTS_OWED).is_none());
    assert_eq!(card.recommendations.len(), 3, "{:?}", card.recommendations);
}

#[tokio::test]
async fn seed_003s_requests_and_no_body_score_a_new_user() {
    let (server, _user, _client) = start("seed-bodies").await;
    let bodies: [(Option<&str>, Option<&str>); 5] = [
        // Seed 003's cURL example, and its walkthrough's body (Python, JavaScript, cURL).
        (
            Some(r#"{"walletAddress":"0x742d35Cc6634C0532925a3b844Bc454e4438f44e","force_recalculation":false}"#),
            Some(SEED_WALLET),
        ),
        (
            Some(r#"{"walletAddress": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}"#),
            Some(SEED_WALLET),
        ),
        (Some("{}"), None),
        (Some(r#"{"force_recalculation": true}"#), None),
        // No body, no Content-Type.
        (None, None),
    ];
    let mut model = None;
    for (body, wallet) in bodies {
        // A new user each time, so each request calculates.
        let user = signed_in_user(&server, "seed-body").await;
        let (status, answer) = calculate_raw(&server, &user.access_token, body).await;
        assert_eq!(status, 200, "{body:?} → {answer}");
        assert_eq!(answer["success"], true);
        assert_eq!(answer.as_object().unwrap().len(), 2, "success and data: {answer}");
        let card = Card::of(&answer["data"]);
        assert!(!card.reused, "{body:?}: the first calculation");
        assert_eq!(card.wallet.as_deref(), wallet, "{body:?}");
        assert_eq!(card.calculated_at_ms, T0, "calculated at the server's clock");
        assert_eq!(
            card.calculated_at, "2026-03-03T10:00:00.000Z",
            "RFC 3339 UTC, milliseconds"
        );
        assert_brand_new(&card);
        // Every calculation names the same scorecard version.
        assert_eq!(model.get_or_insert(card.model_version.clone()), &card.model_version);
    }
}

/// `requestBody.required: false`: a request that declares JSON but sends nothing has no body,
/// like one without `Content-Type`.
#[tokio::test]
async fn an_empty_json_body_is_no_body() {
    let (server, user, _client) = start("empty-body").await;
    for text in ["", " ", "\n"] {
        let (status, answer) = calculate_raw(&server, &user.access_token, Some(text)).await;
        assert_eq!(status, 200, "{text:?} → {answer}");
        assert_brand_new(&Card::of(&answer["data"]));
    }
}

#[tokio::test]
async fn the_wallet_address_does_not_change_the_score() {
    let (server, user, client) = start("wallet-neutral").await;
    let without = force(&client).await;
    let with = calculate(
        &server,
        &user.access_token,
        json!({"walletAddress": SEED_WALLET, "force_recalculation": true}),
    )
    .await;
    assert_eq!(with.wallet.as_deref(), Some(SEED_WALLET));
    assert_eq!(without.wallet, None);
    assert_ne!(with.id, without.id);
    assert_eq!(with.outcome(), without.outcome(), "Meridian reads no chain data");
}

/// The seed's address with the case of its `i`-th hex digit flipped (`None` for a digit).
fn flipped(i: usize) -> Option<String> {
    let mut chars: Vec<char> = SEED_WALLET.chars().collect();
    let c = chars[2 + i];
    if !c.is_ascii_alphabetic() {
        return None;
    }
    chars[2 + i] = if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c.to_ascii_uppercase()
    };
    Some(chars.into_iter().collect())
}

/// Asserts a 400 whose first field error names `field`.
fn assert_refused(status: u16, answer: &Value, field: &str, what: &str) {
    assert_eq!(status, 400, "{what} → {answer}");
    assert_eq!(answer["success"], false, "{answer}");
    assert_eq!(answer["errors"][0]["field"], field, "{what} → {answer}");
}

#[tokio::test]
async fn mixed_case_wallet_addresses_must_carry_the_eip55_checksum() {
    let (server, user, _client) = start("eip55").await;
    let token = user.access_token.as_str();
    let accepted = calculate(&server, token, json!({"walletAddress": SEED_WALLET})).await;
    assert_eq!(accepted.wallet.as_deref(), Some(SEED_WALLET), "echoed as sent");

    // The example of the issue, then every single letter's case flipped: all refused.
    let mut refused = vec!["0x742d35cC6634C0532925a3b844Bc454e4438f44e".to_owned()];
    refused.extend((0..40).filter_map(flipped));
    assert_eq!(refused.len(), 12, "the example and the seed address's 11 letters");
    for address in &refused {
        let (status, answer) = request(
            &server,
            "POST",
            "/api/credit/calculate-score",
            Some(token),
            Some(json!({"walletAddress": address, "force_recalculation": true})),
        )
        .await;
        assert_refused(status, &answer, "walletAddress", address);
    }

    // Single-case hex is accepted and recorded checksummed: the seed's address and EIP-55's
    // own test vectors.
    for checksummed in [
        SEED_WALLET,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ] {
        let hex = &checksummed[2..];
        for single_case in [
            format!("0x{}", hex.to_ascii_lowercase()),
            format!("0x{}", hex.to_ascii_uppercase()),
        ] {
            let card = calculate(
                &server,
                token,
                json!({"walletAddress": single_case, "force_recalculation": true}),
            )
            .await;
            assert_eq!(card.wallet.as_deref(), Some(checksummed), "{single_case}");
        }
        // And the checksummed form itself as is.
        let card = calculate(
            &server,
            token,
            json!({"walletAddress": checksummed, "force_recalculation": true}),
        )
        .await;
        assert_eq!(card.wallet.as_deref(), Some(checksummed));
    }

    // Malformed addresses: 400 naming the field.
    let malformed: [Value; 8] = [
        json!("0x742d35Cc6634C0532925a3b844Bc454e4438f44"),
        json!("0x742d35Cc6634C0532925a3b844Bc454e4438f44e0"),
        json!("742d35Cc6634C0532925a3b844Bc454e4438f44e00"),
        json!("0xg42d35Cc6634C0532925a3b844Bc454e4438f44e"),
        json!("0x742d35Cc6634C0532925a3b844Bc454e4438f4 e"),
        json!(""),
        json!(742),
        Value::Null,
    ];
    for address in malformed {
        let (status, answer) = request(
            &server,
            "POST",
            "/api/credit/calculate-score",
            Some(token),
            Some(json!({"walletAddress": address, "force_recalculation": true})),
        )
        .await;
        assert_refused(status, &answer, "walletAddress", &address.to_string());
    }

    // No refused request stored a score: the latest is still the last accepted one.
    let (status, latest) = request(&server, "GET", "/api/credit/score", Some(token), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        Card::of(&latest["data"]).wallet.as_deref(),
        Some("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")
    );
}

#[tokio::test]
async fn unknown_and_ill_typed_fields_are_400s_naming_them() {
    let (server, user, _client) = start("fields").await;
    let token = user.access_token.as_str();
    for (body, field) in [
        (json!({"wallet_address": SEED_WALLET}), "wallet_address"),
        (json!({"walletAddress": SEED_WALLET, "score": 850}), "score"),
        (json!({"force_recalculation": "yes"}), "force_recalculation"),
        (json!({"force_recalculation": 1}), "force_recalculation"),
    ] {
        let (status, answer) = request(
            &server,
            "POST",
            "/api/credit/calculate-score",
            Some(token),
            Some(body.clone()),
        )
        .await;
        assert_refused(status, &answer, field, &body.to_string());
    }
    for text in ["{", "[]", "\"0x742d35Cc6634C0532925a3b844Bc454e4438f44e\"", "null"] {
        let (status, answer) = calculate_raw(&server, token, Some(text)).await;
        assert_eq!(status, 400, "{text} → {answer}");
        assert_eq!(answer["success"], false);
    }
    // None of them calculated anything.
    let (status, _) = request(&server, "GET", "/api/credit/score", Some(token), None).await;
    assert_eq!(status, 404);
}

/// `profile.wallet_address` of `GET /api/profile`.
async fn profile_wallet_of(server: &TestServer, token: &str) -> Value {
    let (status, body) = request(server, "GET", "/api/profile", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["profile"]["wallet_address"].clone()
}

#[tokio::test]
async fn the_wallet_defaults_to_the_profiles_and_never_changes_it() {
    let (server, user, client) = start("default-wallet").await;
    let token = user.access_token.as_str();
    let profile_wallet = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

    // Neither a request wallet nor a profile wallet: null.
    assert_eq!(force(&client).await.wallet, None);

    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(token),
        Some(json!({"walletAddress": profile_wallet})),
    )
    .await;
    assert_eq!((status, body["walletAddress"].clone()), (200, json!(profile_wallet)));
    let card = calculate(&server, token, json!({"force_recalculation": true})).await;
    assert_eq!(card.wallet.as_deref(), Some(profile_wallet), "the profile's wallet");

    // A request's wallet wins, and does not touch the profile.
    let card = calculate(
        &server,
        token,
        json!({"walletAddress": SEED_WALLET, "force_recalculation": true}),
    )
    .await;
    assert_eq!(card.wallet.as_deref(), Some(SEED_WALLET));
    assert_eq!(profile_wallet_of(&server, token).await, json!(profile_wallet));
    assert_eq!(force(&client).await.wallet.as_deref(), Some(profile_wallet));

    // Unlinking the profile's wallet: null again.
    let (status, _) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(token),
        Some(json!({"walletAddress": null})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(force(&client).await.wallet, None);
    assert_eq!(profile_wallet_of(&server, token).await, Value::Null);
}
