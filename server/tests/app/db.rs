//! The database layer on every configured backend: unique violations → 409, missing rows →
//! 404, and write transactions that hold under concurrency.

use chrono::Utc;
use meridian_server::db::{DbError, users};
use meridian_server::error::ApiError;
use meridian_server::write_tx;

use crate::support::{backends, fresh};

fn user(id: &str, email: &str) -> users::UserRow {
    users::UserRow::new(
        id.into(),
        email.into(),
        "$argon2id$placeholder".into(),
        Utc::now().naive_utc(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_is_a_409_and_a_missing_row_a_404() {
    for backend in backends() {
        let db = fresh(backend, 2).await;
        let mut conn = db.state.db.conn().await.unwrap();
        users::insert(&mut conn, &user("user-1", "a@example.com"))
            .await
            .unwrap();
        let duplicate = users::insert(&mut conn, &user("user-2", "a@example.com"))
            .await
            .unwrap_err();
        assert!(matches!(duplicate, DbError::Conflict(_)), "{backend}: {duplicate:?}");
        assert_eq!(ApiError::from(duplicate).status().as_u16(), 409);
        let missing = users::find(&mut conn, "user-404").await.unwrap_err();
        assert!(matches!(missing, DbError::NotFound), "{backend}: {missing:?}");
        assert_eq!(ApiError::from(missing).status().as_u16(), 404);
        assert_eq!(users::find(&mut conn, "user-1").await.unwrap().email, "a@example.com");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_write_transactions_all_commit_and_a_race_has_one_winner() {
    for backend in backends() {
        let db = fresh(backend, 4).await;
        // 16 writers with distinct emails: all commit (SQLite queues them on BEGIN IMMEDIATE).
        let mut tasks = Vec::new();
        for i in 0..16 {
            let state = db.state.clone();
            tasks.push(tokio::spawn(async move {
                let mut conn = state.db.conn().await?;
                let row = user(&format!("user-d{i}"), &format!("d{i}@example.com"));
                write_tx!(&mut conn, c => {
                    use diesel_async::RunQueryDsl;
                    diesel::insert_into(meridian_server::db::schema::users::table).values(&row).execute(c).await?;
                    Ok::<_, DbError>(())
                })
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap_or_else(|e| panic!("{backend}: {e:?}"));
        }
        // 16 writers racing for one email: exactly one commits, the rest are conflicts.
        let mut tasks = Vec::new();
        for i in 0..16 {
            let state = db.state.clone();
            tasks.push(tokio::spawn(async move {
                let mut conn = state.db.conn().await?;
                users::insert(&mut conn, &user(&format!("user-r{i}"), "race@example.com")).await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => wins += 1,
                Err(DbError::Conflict(_)) => {}
                Err(other) => panic!("{backend}: {other:?}"),
            }
        }
        assert_eq!(wins, 1, "{backend}");
        let mut conn = db.state.db.conn().await.unwrap();
        assert_eq!(users::count(&mut conn).await.unwrap(), 17, "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_transaction_leaves_nothing_behind() {
    for backend in backends() {
        let db = fresh(backend, 2).await;
        let mut conn = db.state.db.conn().await.unwrap();
        let result = write_tx!(&mut conn, c => {
            use diesel_async::RunQueryDsl;
            let table = meridian_server::db::schema::users::table;
            diesel::insert_into(table).values(&user("user-t1", "t1@example.com")).execute(c).await?;
            // The second row breaks the unique email: the whole transaction rolls back.
            diesel::insert_into(table).values(&user("user-t2", "t1@example.com")).execute(c).await?;
            Ok::<_, DbError>(())
        });
        assert!(matches!(result, Err(DbError::Conflict(_))), "{backend}: {result:?}");
        assert_eq!(users::count(&mut conn).await.unwrap(), 0, "{backend}: half-written");
    }
}
