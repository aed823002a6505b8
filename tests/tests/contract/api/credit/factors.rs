//! "The reported factors are the ones that moved the score": real changes made through the
//! loans and trading APIs move exactly the matching part of the scorecard and its factor,
//! and nothing else; the same records give the same score; the total rounds half-up.

use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
use serde_json::{Value, json};

use super::support::{
    AMOUNTS_OWED, CREDIT_MIX, Card, DAY, HOUR, LENGTH_OF_HISTORY, MINUTE, NEW_CREDIT, PAYMENT_HISTORY, T0, apply,
    approve, created_ms, d, force, id, loan, only_changed, pay, personal, pts, staff, start,
};

/// The monthly payment of an approved loan.
fn monthly(loan: &Value) -> rust_decimal::Decimal {
    super::support::number(&loan["monthly_payment"])
}

#[tokio::test]
async fn on_time_and_late_payments_move_payment_history() {
    let (server, user, client) = start("payments").await;
    let token = user.access_token.as_str();
    let staff = staff(&server).await;
    let clock = &server.state().clock;

    // No loans: payment history is neutral and not a factor.
    let fresh = force(&client).await;
    assert_eq!(fresh.points[PAYMENT_HISTORY], d("134.75"));
    assert!(fresh.factor_of(PAYMENT_HISTORY).is_none());

    // An approved loan of 10000 (all of it owed): amounts owed and credit mix move, payment
    // history still has no payment to go by.
    let applied = apply(&server, token, personal("10000", 36, "5.5")).await;
    clock.set_ms(T0 + MINUTE);
    let approved = approve(&server, &staff, &id(&applied)).await;
    assert_eq!(monthly(&approved), d("301.96"));
    let before = force(&client).await;
    assert_eq!(before.points, pts(["134.75", "66", "0", "44", "22"]));
    assert_eq!(before.score, 567);
    assert!(before.factor_of(PAYMENT_HISTORY).is_none(), "no payment yet");
    let owed = before.factor("High debt ratio").expect("all of the loan is owed");
    assert_eq!(owed.impact, "negative");
    assert_eq!(owed.description, "100% of the approved loan principal is still owed");
    assert_eq!(
        before.factor("Limited credit mix").unwrap().description,
        "1 loan type held with Meridian; no trading activity"
    );

    // An on-time payment (a day after approval, due a month after it): a positive factor.
    clock.set_ms(T0 + DAY);
    let paid = pay(&server, token, &id(&applied), d("301.96")).await;
    assert_eq!(paid["payment"]["on_time"], true);
    assert_eq!(
        super::support::number(&paid["loan"]["outstanding_principal"]),
        d("9743.87")
    );
    let on_time = force(&client).await;
    assert_eq!(on_time.points[PAYMENT_HISTORY], d("192.5"), "all payments on time");
    let factor = on_time
        .factor_of(PAYMENT_HISTORY)
        .expect("payment history moved the score");
    assert_eq!(factor.factor, "Excellent payment history");
    assert_eq!(factor.impact, "positive");
    assert_eq!(factor.description, "The only loan payment was made on time");
    assert_eq!(on_time.factors[0], *factor, "the most influential factor");
    assert_eq!(on_time.recommendations[0], "Continue making on-time payments");
    // The payment also repaid principal: amounts owed follows the outstanding principal,
    // 165 × (1 − 0.6 × 9743.87 / 10000) = 68.54.
    assert_eq!(on_time.points[AMOUNTS_OWED], d("68.54"));
    only_changed(&before, &on_time, &[PAYMENT_HISTORY, AMOUNTS_OWED]);
    assert_eq!(on_time.score, 627);
    assert!(on_time.score > before.score);

    // Past the second installment's due date, a late payment: negative, fewer points.
    let current = loan(&server, token, &id(&applied)).await;
    assert_eq!(current["next_payment_due"], "2026-05-03");
    clock.set_ms(T0 + 62 * DAY); // 2026-05-04T10:00Z
    let baseline = force(&client).await;
    assert_eq!(baseline.outcome(), on_time.outcome(), "time alone changed nothing");
    let paid = pay(&server, token, &id(&applied), d("301.96")).await;
    assert_eq!(paid["payment"]["on_time"], false);
    assert_eq!(
        super::support::number(&paid["loan"]["outstanding_principal"]),
        d("9486.57")
    );
    let late = force(&client).await;
    assert_eq!(late.points[PAYMENT_HISTORY], d("96.25"), "1 of 2 on time");
    assert!(late.points[PAYMENT_HISTORY] < baseline.points[PAYMENT_HISTORY]);
    let factor = late
        .factor_of(PAYMENT_HISTORY)
        .expect("payment history moved the score");
    assert_eq!(factor.factor, "Late loan payments");
    assert_eq!(factor.impact, "negative");
    assert_eq!(factor.description, "1 of 2 loan payments were late");
    assert!(
        late.recommendations
            .contains(&"Pay every installment on or before its due date".to_owned())
    );
    assert_eq!(late.points[AMOUNTS_OWED], d("71.08"));
    only_changed(&baseline, &late, &[PAYMENT_HISTORY, AMOUNTS_OWED]);
    assert_eq!(late.score, 533);
    assert_eq!(late.rating, "Poor");
    assert_eq!(
        late.names(),
        [
            "High debt ratio",
            "Short credit history",
            "Late loan payments",
            "Limited credit mix"
        ],
        "most influential first: −44.42, −41.25, −38.5, −11"
    );
}

#[tokio::test]
async fn applications_within_90_days_make_new_credit_negative() {
    let (server, user, client) = start("inquiries").await;
    let token = user.access_token.as_str();
    let clock = &server.state().clock;

    let none = force(&client).await;
    assert_eq!(none.points[NEW_CREDIT], d("55"));
    let factor = none.factor_of(NEW_CREDIT).unwrap();
    assert_eq!(
        (factor.factor.as_str(), factor.impact.as_str()),
        ("No recent credit applications", "positive")
    );

    // One application is the neutral level: no new-credit factor.
    apply(&server, token, personal("5000", 24, "6")).await;
    let one = force(&client).await;
    assert_eq!(one.points[NEW_CREDIT], d("44"));
    assert!(one.factor_of(NEW_CREDIT).is_none());
    only_changed(&none, &one, &[NEW_CREDIT]);
    assert_eq!(one.score, 605);

    // Two more: negative.
    clock.set_ms(T0 + HOUR);
    apply(&server, token, personal("5000", 24, "6")).await;
    clock.set_ms(T0 + 2 * HOUR);
    apply(&server, token, personal("5000", 24, "6")).await;
    let three = force(&client).await;
    assert_eq!(three.points[NEW_CREDIT], d("22"));
    let factor = three.factor_of(NEW_CREDIT).expect("new credit moved the score");
    assert_eq!(factor.factor, "Several recent credit applications");
    assert_eq!(factor.impact, "negative");
    assert_eq!(factor.description, "3 loan applications in the last 90 days");
    assert!(
        three
            .recommendations
            .contains(&"Avoid new loan applications for the next 90 days".to_owned())
    );
    only_changed(&one, &three, &[NEW_CREDIT]);
    assert_eq!(three.score, 583);

    // 90 days on, the first application no longer counts; 90 days after the last, none.
    clock.set_ms(T0 + 90 * DAY + MINUTE);
    let two = force(&client).await;
    assert_eq!(two.points[NEW_CREDIT], d("33"));
    assert_eq!(
        two.factor_of(NEW_CREDIT).unwrap().description,
        "2 loan applications in the last 90 days"
    );
    only_changed(&three, &two, &[NEW_CREDIT]);
    clock.set_ms(T0 + 90 * DAY + 2 * HOUR + MINUTE);
    let again = force(&client).await;
    assert_eq!(again.outcome(), none.outcome());
}

#[tokio::test]
async fn a_trade_raises_credit_mix() {
    let (server, user, client) = start("trade").await;
    let before = force(&client).await;
    assert_eq!(before.points[CREDIT_MIX], d("11"));
    assert_eq!(
        before.factor_of(CREDIT_MIX).unwrap().description,
        "0 loan types held with Meridian; no trading activity"
    );
    let (status, order) = meridian_contract_tests::fixtures::request(
        &server,
        "POST",
        "/api/trading/order",
        Some(&user.access_token),
        Some(json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"})),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["order"]["status"], "FILLED");
    let after = force(&client).await;
    assert_eq!(after.points[CREDIT_MIX], d("22"));
    let factor = after.factor_of(CREDIT_MIX).unwrap();
    assert_eq!(factor.impact, "negative", "still below the neutral 33");
    assert_eq!(factor.description, "0 loan types held with Meridian; trading activity");
    only_changed(&before, &after, &[CREDIT_MIX]);
    assert_eq!(after.score, 627);
}

#[tokio::test]
async fn identical_records_give_identical_scores() {
    let server = meridian_contract_tests::TestServer::start().await;
    let staff = staff(&server).await;
    let a = signed_in_user(&server, "twin-a").await;
    let b = signed_in_user(&server, "twin-b").await;
    let (ca, cb) = (
        client_with_token(&server, &a.access_token),
        client_with_token(&server, &b.access_token),
    );
    // Both accounts 400 days old on the stopped clock.
    let newest = created_ms(&ca).await.max(created_ms(&cb).await);
    let start = newest + 400 * DAY + HOUR;
    server.state().clock.set_ms(start);
    for user in [&a, &b] {
        let applied = apply(&server, &user.access_token, personal("10000", 36, "5.5")).await;
        approve(&server, &staff, &id(&applied)).await;
    }
    server.state().clock.set_ms(start + DAY);
    let mut cards: Vec<Card> = Vec::new();
    for (user, client) in [(&a, &ca), (&b, &cb)] {
        let loans =
            meridian_contract_tests::fixtures::request(&server, "GET", "/api/loans", Some(&user.access_token), None)
                .await
                .1;
        pay(
            &server,
            &user.access_token,
            &id(&loans["data"]["loans"][0]),
            d("301.96"),
        )
        .await;
        cards.push(force(client).await);
        // Recalculating the same records gives the same again.
        let again = force(client).await;
        assert_ne!(again.id, cards.last().unwrap().id);
        assert_eq!(again.outcome(), cards.last().unwrap().outcome());
    }
    assert_eq!(cards[0].outcome(), cards[1].outcome());
    assert_ne!(cards[0].id, cards[1].id);
    assert_eq!(cards[0].calculated_at, cards[1].calculated_at);
    // 300 + 192.5 + 68.54 + 401/730 × 82.5 (45.32) + 44 + 22 = 672.36.
    assert_eq!(cards[0].points, pts(["192.5", "68.54", "45.32", "44", "22"]));
    assert_eq!(cards[0].score, 672);
    assert_eq!(cards[0].rating, "Good");
    assert_eq!(
        cards[0].names(),
        [
            "Excellent payment history",
            "High debt ratio",
            "Limited credit mix",
            "Established credit history"
        ]
    );
    assert_eq!(
        cards[0].factor_of(LENGTH_OF_HISTORY).unwrap().description,
        "The account is 401 days old"
    );
}

#[tokio::test]
async fn the_total_rounds_half_up() {
    let server = meridian_contract_tests::TestServer::start().await;
    let user = signed_in_user(&server, "half-up").await;
    let client = client_with_token(&server, &user.access_token);
    // 73 days: length of history earns 73/730 × 82.5 = 8.25 points exactly, so the total is
    // 300 + 134.75 + 115.5 + 8.25 + 55 + 11 = 624.5 → 625 (half-to-even would say 624).
    server.state().clock.set_ms(created_ms(&client).await + 73 * DAY + HOUR);
    let card = force(&client).await;
    assert_eq!(card.points, pts(["134.75", "115.5", "8.25", "55", "11"]));
    assert_eq!(card.score, 625);
    let factor = card.factor_of(LENGTH_OF_HISTORY).unwrap();
    assert_eq!(factor.factor, "Short credit history");
    assert_eq!(factor.description, "The account is 73 days old");
    // Two years or more earn all 82.5 points.
    server.state().clock.set_ms(created_ms(&client).await + 800 * DAY);
    let old = force(&client).await;
    assert_eq!(old.points[LENGTH_OF_HISTORY], d("82.5"));
    assert_eq!(
        old.factor_of(LENGTH_OF_HISTORY).unwrap().factor,
        "Established credit history"
    );
    only_changed(&card, &old, &[LENGTH_OF_HISTORY]);
    assert_eq!(old.score, 699, "300 + 134.75 + 115.5 + 82.5 + 55 + 11 = 698.75");
    assert_eq!(old.rating, "Good");
}
