//! `GET /api/loans/{id}/schedule`: the spec's 36-line example reproduced exactly, schedules
//! built as the spec describes (checked against an independent amortization, due dates at
//! month ends included), installment statuses as the clock moves, principal repaid to the
//! cent, prepayment shortening the schedule, 409 without a schedule and 404 for others.

use meridian_contract_tests::spec;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::support::{
    DECIDED_AT, Env, FIRST_PAID_AT, Line, amortize, annuity, application, d, dec, id_of, months_after, num,
    seed_application,
};

/// The spec's `one_paid` example of `get_loan_schedule` (its `data`).
fn spec_example() -> Value {
    spec::bundle()
        .pointer(
            "/paths/~1api~1loans~1{id}~1schedule/get/responses/200/content/application~1json/examples/one_paid/value/data",
        )
        .expect("the one_paid example")
        .clone()
}

/// One installment as comparable values: number, due date, the five amounts, status.
fn line(installment: &Value) -> (u64, String, [Decimal; 5], String) {
    (
        installment["number"].as_u64().expect("number"),
        installment["due_date"].as_str().expect("due_date").to_owned(),
        [
            dec(&installment["payment"]),
            dec(&installment["principal"]),
            dec(&installment["interest"]),
            dec(&installment["remaining_balance"]),
            dec(&installment["paid_amount"]),
        ],
        installment["status"].as_str().expect("status").to_owned(),
    )
}

fn installments(schedule: &Value) -> &Vec<Value> {
    schedule["installments"].as_array().expect("installments")
}

fn statuses(schedule: &Value) -> Vec<String> {
    installments(schedule)
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_owned())
        .collect()
}

/// The schedule's own sums hold: Σ principal = principal (to the cent), totals are the sums
/// of the lines, each payment is principal + interest, the last line leaves 0, numbers run
/// from 1.
fn assert_consistent(schedule: &Value) {
    let lines = installments(schedule);
    let sum = |field: &str| lines.iter().map(|l| dec(&l[field])).sum::<Decimal>();
    assert_eq!(sum("principal"), dec(&schedule["principal"]), "Σ principal");
    assert_eq!(sum("payment"), dec(&schedule["total_payment"]), "total_payment");
    assert_eq!(sum("interest"), dec(&schedule["total_interest"]), "total_interest");
    assert_eq!(
        dec(&schedule["total_interest"]),
        dec(&schedule["total_payment"]) - dec(&schedule["principal"])
    );
    for (index, l) in lines.iter().enumerate() {
        assert_eq!(l["number"], index + 1);
        assert_eq!(dec(&l["payment"]), dec(&l["principal"]) + dec(&l["interest"]), "{l}");
        assert!(dec(&l["paid_amount"]) <= dec(&l["payment"]), "{l}");
        assert_eq!(
            l["status"] == "paid",
            dec(&l["paid_amount"]) == dec(&l["payment"]),
            "{l}"
        );
    }
    assert_eq!(dec(&lines.last().expect("a line")["remaining_balance"]), Decimal::ZERO);
}

/// The projected lines (no payment) match `expected`, due `n` months after `disbursed_on`.
fn assert_lines(schedule: &Value, expected: &[Line], disbursed_on: &str) {
    let lines = installments(schedule);
    assert_eq!(lines.len(), expected.len());
    for (l, &(number, payment, principal, interest, remaining)) in lines.iter().zip(expected) {
        assert_eq!(l["number"], number);
        assert_eq!(l["due_date"], months_after(disbursed_on, number), "line {number}");
        assert_eq!(
            [
                dec(&l["payment"]),
                dec(&l["principal"]),
                dec(&l["interest"]),
                dec(&l["remaining_balance"])
            ],
            [payment, principal, interest, remaining],
            "line {number}"
        );
    }
}

#[tokio::test]
async fn the_spec_example_schedule_is_reproduced_exactly() {
    let env = Env::start("schedule-spec").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    let example = spec_example();

    // Right after approval: the schedule fixed at approval, nothing paid, the first due.
    let fresh = env.schedule_of(user, &id).await;
    assert_eq!(fresh["loan_id"], id.as_str());
    assert_consistent(&fresh);
    for field in [
        "principal",
        "annual_rate",
        "monthly_payment",
        "total_payment",
        "total_interest",
    ] {
        assert_eq!(dec(&fresh[field]), dec(&example[field]), "{field}");
    }
    assert_eq!(fresh["term_months"], example["term_months"]);
    let lines = installments(&fresh);
    let expected = installments(&example);
    assert_eq!(lines.len(), 36);
    for (got, want) in lines.iter().zip(expected) {
        let (number, due, mut amounts, _) = line(want);
        amounts[4] = Decimal::ZERO;
        let status = if number == 1 { "due" } else { "upcoming" };
        assert_eq!(line(got), (number, due, amounts, status.to_owned()));
    }

    // The first installment paid on 2025-01-28: the spec's example exactly.
    env.at(FIRST_PAID_AT);
    env.paid(user, &id, "301.96").await;
    let paid = env.schedule_of(user, &id).await;
    assert_consistent(&paid);
    for field in [
        "principal",
        "annual_rate",
        "monthly_payment",
        "total_payment",
        "total_interest",
    ] {
        assert_eq!(dec(&paid[field]), dec(&example[field]), "{field}");
    }
    let got: Vec<_> = installments(&paid).iter().map(line).collect();
    let want: Vec<_> = expected.iter().map(line).collect();
    assert_eq!(got, want);

    // In words: 35 payments of 301.96 and a last one of 301.94, 10870.54 (870.54 interest).
    let payments: Vec<Decimal> = installments(&paid).iter().map(|l| dec(&l["payment"])).collect();
    assert!(payments[..35].iter().all(|p| *p == d("301.96")));
    assert_eq!(payments[35], d("301.94"));
    assert_eq!(paid["total_payment"].to_string(), "10870.54");
    assert_eq!(paid["total_interest"].to_string(), "870.54");
    assert_eq!(installments(&paid)[1]["due_date"], "2025-02-28");
    assert_eq!(installments(&paid)[35]["due_date"], "2027-12-30");
}

#[tokio::test]
async fn schedules_follow_the_spec_construction() {
    let env = Env::start("schedule-build").await;
    let user = &env.applicant;
    // A 30-year mortgage.
    let id = id_of(
        &env.apply(
            user,
            json!({"loan_type": "mortgage", "requested_amount": 250000, "requested_term_months": 360, "requested_rate": num("3.875")}),
        )
        .await,
    );
    env.at(DECIDED_AT);
    let loan = env.approve(&id).await;
    let monthly = annuity(d("250000"), d("3.875"), 360);
    assert_eq!(dec(&loan["monthly_payment"]), monthly);
    let schedule = env.schedule_of(user, &id).await;
    assert_consistent(&schedule);
    assert_eq!(dec(&schedule["monthly_payment"]), monthly);
    assert_eq!(schedule["term_months"], 360);
    assert_lines(
        &schedule,
        &amortize(d("250000"), d("3.875"), 360, monthly, 1),
        "2024-12-30",
    );

    // Disbursed on the 31st at 0 %: month ends, and the last payment takes the remainder.
    env.at("2025-01-31T12:00:00Z");
    let id = id_of(
        &env.apply(
            user,
            json!({"loan_type": "personal", "requested_amount": 1000, "requested_term_months": 6, "requested_rate": 0}),
        )
        .await,
    );
    let loan = env.approve(&id).await;
    assert_eq!(dec(&loan["monthly_payment"]), d("166.67"));
    assert_eq!(loan["next_payment_due"], "2025-02-28");
    let schedule = env.schedule_of(user, &id).await;
    assert_consistent(&schedule);
    let due: Vec<&str> = installments(&schedule)
        .iter()
        .map(|l| l["due_date"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        [
            "2025-02-28",
            "2025-03-31",
            "2025-04-30",
            "2025-05-31",
            "2025-06-30",
            "2025-07-31"
        ]
    );
    assert_lines(&schedule, &amortize(d("1000"), d("0"), 6, d("166.67"), 1), "2025-01-31");
    assert_eq!(dec(&installments(&schedule)[5]["payment"]), d("166.65"));
    assert_eq!(dec(&schedule["total_payment"]), d("1000"));

    // An approval for less, at another rate: built from the approved terms.
    let id = id_of(&env.apply(user, application("auto", "20000", 48)).await);
    let (status, _) = env
        .decide(
            &id,
            json!({"decision": "approve", "approved_amount": "17500.50", "approved_rate": "8.125"}),
        )
        .await;
    assert_eq!(status, 200);
    let schedule = env.schedule_of(user, &id).await;
    assert_consistent(&schedule);
    assert_eq!(dec(&schedule["principal"]), d("17500.5"));
    assert_eq!(dec(&schedule["annual_rate"]), d("8.125"));
    assert_eq!(schedule["term_months"], 48);
    let monthly = annuity(d("17500.50"), d("8.125"), 48);
    assert_lines(
        &schedule,
        &amortize(d("17500.50"), d("8.125"), 48, monthly, 1),
        "2025-01-31",
    );
}

#[tokio::test]
async fn installment_statuses_follow_the_clock() {
    let env = Env::start("schedule-late").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    let status_at = |schedule: &Value, n: usize| schedule["installments"][n]["status"].as_str().unwrap().to_owned();

    // On the due date itself the first is still due.
    env.at("2025-01-30T23:59:59Z");
    let s = env.schedule_of(user, &id).await;
    assert_eq!((status_at(&s, 0), status_at(&s, 1)), ("due".into(), "upcoming".into()));
    // The next day, unpaid: late.
    env.at("2025-01-31T00:00:00Z");
    let s = env.schedule_of(user, &id).await;
    assert_eq!((status_at(&s, 0), status_at(&s, 1)), ("late".into(), "upcoming".into()));
    assert_consistent(&s);
    let loan = env.loan(user, &id).await;
    assert_eq!(loan["next_payment_due"], "2025-01-30");
    assert_eq!(dec(&loan["payoff_amount"]), d("10045.83"));
    // Past the second due date: two late, and both interests owed to pay off.
    env.at("2025-03-01T08:00:00Z");
    let s = env.schedule_of(user, &id).await;
    let all = statuses(&s);
    assert_eq!(all[..3], ["late", "late", "upcoming"]);
    assert!(all[2..].iter().all(|s| s == "upcoming"));
    assert_eq!(
        dec(&env.loan(user, &id).await["payoff_amount"]),
        d("10000") + d("45.83") + d("44.66")
    );

    // Paying less than one installment: it stays late, partly paid.
    env.paid(user, &id, "100").await;
    let s = env.schedule_of(user, &id).await;
    assert_consistent(&s);
    assert_eq!(status_at(&s, 0), "late");
    assert_eq!(dec(&s["installments"][0]["paid_amount"]), d("100"));
    // Paying the rest of both: paid, and the third is due.
    env.paid(user, &id, "503.92").await;
    let s = env.schedule_of(user, &id).await;
    assert_consistent(&s);
    assert_eq!(statuses(&s)[..4], ["paid", "paid", "due", "upcoming"]);
    // The figures are still the fixed schedule's.
    let example = spec_example();
    for n in 0..36 {
        let (number, due, mut amounts, _) = line(&installments(&example)[n]);
        let (got_number, got_due, got_amounts, _) = line(&installments(&s)[n]);
        amounts[4] = got_amounts[4];
        assert_eq!((got_number, got_due, got_amounts), (number, due, amounts));
    }
    assert_eq!(dec(&s["installments"][1]["paid_amount"]), d("301.96"));
    assert_eq!(dec(&env.loan(user, &id).await["outstanding_principal"]), d("9486.57"));

    // Never paid, past the whole term: every line late, and the payoff is the whole
    // schedule's total; paying it settles every line.
    let id = env.spec_loan().await;
    env.at("2028-01-01T00:00:00Z");
    let s = env.schedule_of(user, &id).await;
    assert_consistent(&s);
    assert_eq!(statuses(&s), vec!["late"; 36]);
    let loan = env.loan(user, &id).await;
    assert_eq!(dec(&loan["payoff_amount"]), dec(&s["total_payment"]));
    assert_eq!(dec(&loan["payoff_amount"]), d("10870.54"));
    assert_eq!(loan["next_payment_due"], "2025-01-30", "still the first unpaid one");
    let closing = env.paid(user, &id, "10870.54").await;
    assert_eq!(closing["loan"]["status"], "paid_off");
    assert_eq!(dec(&closing["payment"]["interest_portion"]), d("870.54"));
    let s = env.schedule_of(user, &id).await;
    assert_consistent(&s);
    assert_eq!(statuses(&s), vec!["paid"; 36]);
}

#[tokio::test]
async fn a_prepayment_shortens_the_schedule() {
    let env = Env::start("schedule-prepay").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    env.at(FIRST_PAID_AT);
    let paid = env.paid(user, &id, "5301.96").await;
    assert_eq!(dec(&paid["payment"]["interest_portion"]), d("45.83"));
    assert_eq!(dec(&paid["payment"]["principal_portion"]), d("5256.13"));
    assert_eq!(dec(&paid["loan"]["outstanding_principal"]), d("4743.87"));
    let s = env.schedule_of(user, &id).await;
    assert_consistent(&s);
    assert_eq!(dec(&s["principal"]), d("10000"));
    assert_eq!(s["term_months"], 36, "the contract's term is unchanged");
    let lines = installments(&s);
    assert!(lines.len() < 36, "{} installments", lines.len());
    // The prepayment counts in the installment it was paid with.
    assert_eq!(
        line(&lines[0]),
        (
            1,
            "2025-01-30".to_owned(),
            [d("5301.96"), d("5256.13"), d("45.83"), d("4743.87"), d("5301.96")],
            "paid".to_owned()
        )
    );
    // The rest is projected from 4743.87 at the same monthly payment.
    let projected = amortize(d("4743.87"), d("5.5"), 36, d("301.96"), 2);
    assert_eq!(lines.len(), projected.len() + 1);
    for (l, &(number, payment, principal, interest, remaining)) in lines[1..].iter().zip(&projected) {
        assert_eq!(
            line(l),
            (
                u64::from(number),
                months_after("2024-12-30", number),
                [payment, principal, interest, remaining, Decimal::ZERO],
                if number == 2 { "due" } else { "upcoming" }.to_owned()
            )
        );
    }
    // And the total is less than the original schedule's.
    assert!(dec(&s["total_payment"]) < d("10870.54"));
}

#[tokio::test]
async fn a_paid_off_loan_keeps_its_schedule_all_paid() {
    let env = Env::start("schedule-paid-off").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    env.at(FIRST_PAID_AT);
    env.paid(user, &id, "301.96").await;
    env.paid(user, &id, "9788.53").await;
    let s = env.schedule_of(user, &id).await;
    assert_consistent(&s);
    assert_eq!(statuses(&s), ["paid", "paid"]);
    let lines = installments(&s);
    assert_eq!(dec(&lines[1]["principal"]), d("9743.87"));
    assert_eq!(dec(&lines[1]["interest"]), d("44.66"));
    assert_eq!(dec(&s["total_payment"]), d("301.96") + d("9788.53"));
}

#[tokio::test]
async fn without_a_schedule_409_and_for_others_404() {
    let env = Env::start("schedule-refused").await;
    let user = &env.applicant;
    let submitted = id_of(&env.apply(user, seed_application()).await);
    let rejected = id_of(&env.apply(user, seed_application()).await);
    let cancelled = id_of(&env.apply(user, seed_application()).await);
    let (status, _) = env.decide(&rejected, json!({"decision": "reject"})).await;
    assert_eq!(status, 200);
    let (status, _) = env
        .call("POST", &format!("/api/loans/{cancelled}/cancel"), user, None)
        .await;
    assert_eq!(status, 200);
    for id in [&submitted, &rejected, &cancelled] {
        let (status, answer) = env.schedule(user, id).await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(answer["success"], false);
    }
    let approved = env.spec_loan().await;
    let other = env.user("schedule-other").await;
    for id in [&approved, &submitted] {
        let (status, _) = env.schedule(&other, id).await;
        assert_eq!(status, 404);
    }
    let (status, _) = env.schedule(&env.staff, &approved).await;
    assert_eq!(status, 404, "staff read their own loans here too");
    let (status, _) = env.schedule(user, "la_unknown").await;
    assert_eq!(status, 404);
    // An id longer than ids are (64) is malformed: 400 naming it.
    let (status, answer) = env.schedule(user, &"a".repeat(65)).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "id", "{answer}");
    // The typed SDK reads the owner's.
    let typed = env
        .client(user)
        .get_loan_schedule(&approved.parse().unwrap())
        .await
        .expect("schedule")
        .into_inner()
        .data;
    assert_eq!(typed.installments.len(), 36);
    assert_eq!(typed.total_payment, d("10870.54"));
}
