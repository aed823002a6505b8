//! Streams over every list operation: each `…_stream()` fetches one page at a time, only
//! when the caller has consumed the previous one, in the group's own pagination style
//! (`page`/`limit` for trading, `page`/`per_page` for credit and loans, `limit`/`offset` for
//! accounts and administration), and yields every item once: lists are newest first, so an
//! item added while a stream runs pushes older ones onto the next page; the stream skips
//! what it already yielded (by id).

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::num::NonZeroU64;

use futures_util::Stream;
use futures_util::stream;

use crate::Client;
use crate::error::Error;
use crate::generated::types;

/// A lazy stream of items from `fetch(page_index)` (from 0), which returns one page's items
/// and whether another page follows; `id` names an item, so that one pushed onto a later
/// page by an insertion is not yielded twice.
fn paginate<T, F, Fut>(id: fn(&T) -> String, fetch: F) -> impl Stream<Item = Result<T, Error>>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, bool), Error>>,
{
    struct State<T, F> {
        fetch: F,
        next: Option<u64>,
        buffer: VecDeque<T>,
        seen: HashSet<String>,
    }
    let start = State {
        fetch,
        next: Some(0),
        buffer: VecDeque::new(),
        seen: HashSet::new(),
    };
    stream::unfold(start, move |mut state| async move {
        loop {
            if let Some(item) = state.buffer.pop_front() {
                if !state.seen.insert(id(&item)) {
                    continue;
                }
                return Some((Ok(item), state));
            }
            let index = state.next?;
            match (state.fetch)(index).await {
                Ok((items, more)) => {
                    state.next = (more && !items.is_empty()).then_some(index + 1);
                    state.buffer.extend(items);
                }
                Err(error) => {
                    state.next = None;
                    return Some((Err(error), state));
                }
            }
        }
    })
}

fn page_number(index: u64) -> Option<NonZeroU64> {
    NonZeroU64::new(index + 1)
}

fn offset(index: u64, size: u64) -> Option<i64> {
    i64::try_from(index * size).ok()
}

impl Client {
    /// Every order of the caller (optionally filtered), newest first.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let orders: Vec<_> = client.list_orders_stream(None, None, None).try_collect().await?;
    /// println!("{} orders", orders.len());
    /// # Ok(()) }
    /// ```
    pub fn list_orders_stream(
        &self,
        side: Option<types::TradingSide>,
        status: Option<types::TradingOrderStatus>,
        symbol: Option<types::TradingSymbol>,
    ) -> impl Stream<Item = Result<types::TradingOrder, Error>> + '_ {
        let size = self.page_size();
        paginate(
            |o: &types::TradingOrder| o.order_id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .list_orders(NonZeroU64::new(size), page_number(index), side, status, symbol)
                    .await?
                    .into_inner();
                let more = (index as i64 + 1) < page.pagination.total_pages;
                Ok((page.orders, more))
            },
        )
    }

    /// Every fill of the caller (optionally filtered), newest first.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let trades: Vec<_> = client.list_trades_stream(None, None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_trades_stream(
        &self,
        side: Option<types::TradingSide>,
        symbol: Option<types::TradingSymbol>,
    ) -> impl Stream<Item = Result<types::TradingTrade, Error>> + '_ {
        let size = self.page_size();
        paginate(
            |t: &types::TradingTrade| t.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .list_trades(NonZeroU64::new(size), page_number(index), side, symbol)
                    .await?
                    .into_inner();
                let more = (index as i64 + 1) < page.pagination.total_pages;
                Ok((page.trades, more))
            },
        )
    }

    /// Every loan application and loan of the caller (optionally of one status), newest first.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let loans: Vec<_> = client.list_loans_stream(None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_loans_stream(
        &self,
        status: Option<types::LoanStatus>,
    ) -> impl Stream<Item = Result<types::Loan, Error>> + '_ {
        let size = self.page_size();
        paginate(
            |l: &types::Loan| l.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .list_loans(page_number(index), NonZeroU64::new(size), status)
                    .await?
                    .into_inner();
                Ok((page.data.loans, page.data.pagination.has_next))
            },
        )
    }

    /// The caller's whole credit history, newest first.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let events: Vec<_> = client.list_credit_history_stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_credit_history_stream(&self) -> impl Stream<Item = Result<types::CreditHistoryEvent, Error>> + '_ {
        let size = self.page_size();
        paginate(
            |e: &types::CreditHistoryEvent| e.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .list_credit_history(page_number(index), NonZeroU64::new(size))
                    .await?
                    .into_inner();
                Ok((page.data.history, page.data.pagination.has_next))
            },
        )
    }

    /// The caller's account events, newest first.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let events: Vec<_> = client.list_events_stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_events_stream(&self) -> impl Stream<Item = Result<types::AccountEvent, Error>> + '_ {
        let size = self.page_size();
        paginate(
            |e: &types::AccountEvent| e.id.clone().unwrap_or_default(),
            move |index| async move {
                let items = self
                    .api()
                    .list_events(NonZeroU64::new(size), offset(index, size))
                    .await?
                    .into_inner();
                let more = items.len() as u64 == size;
                Ok((items, more))
            },
        )
    }

    /// The caller's sessions (optionally only active ones).
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let sessions: Vec<_> = client.list_sessions_stream(Some(true)).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_sessions_stream(
        &self,
        active: Option<bool>,
    ) -> impl Stream<Item = Result<types::AccountSession, Error>> + '_ {
        let size = self.page_size();
        paginate(
            |s: &types::AccountSession| s.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .list_sessions(active, NonZeroU64::new(size), offset(index, size))
                    .await?
                    .into_inner();
                let more = page.sessions.len() as u64 == size;
                Ok((page.sessions, more))
            },
        )
    }

    /// Every user (staff), optionally filtered.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let users: Vec<_> = client.admin_list_users_stream(None, None, None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn admin_list_users_stream<'a>(
        &'a self,
        banned: Option<bool>,
        role: Option<types::AdminListUsersRole>,
        search: Option<&'a types::AdminListUsersSearch>,
    ) -> impl Stream<Item = Result<types::AdminUser, Error>> + 'a {
        let size = self.page_size();
        paginate(
            |u: &types::AdminUser| u.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .admin_list_users(banned, NonZeroU64::new(size), offset(index, size), role, search)
                    .await?
                    .into_inner();
                Ok((page.users, page.pagination.has_more))
            },
        )
    }

    /// Every session of every user (staff), optionally filtered.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let sessions: Vec<_> = client.admin_list_sessions_stream(Some(true), None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn admin_list_sessions_stream<'a>(
        &'a self,
        active: Option<bool>,
        user_id: Option<&'a types::AdminListSessionsUserId>,
    ) -> impl Stream<Item = Result<types::AccountSession, Error>> + 'a {
        let size = self.page_size();
        paginate(
            |s: &types::AccountSession| s.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .admin_list_sessions(active, NonZeroU64::new(size), offset(index, size), user_id)
                    .await?
                    .into_inner();
                let more = page.sessions.len() as u64 == size;
                Ok((page.sessions, more))
            },
        )
    }

    /// Every client key of every user (staff), optionally filtered.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use futures_util::TryStreamExt;
    /// let keys: Vec<_> = client.admin_list_client_keys_stream(Some(true), None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn admin_list_client_keys_stream<'a>(
        &'a self,
        enabled: Option<bool>,
        user_id: Option<&'a types::AdminListClientKeysUserId>,
    ) -> impl Stream<Item = Result<types::AdminClientKey, Error>> + 'a {
        let size = self.page_size();
        paginate(
            |k: &types::AdminClientKey| k.id.to_string(),
            move |index| async move {
                let page = self
                    .api()
                    .admin_list_client_keys(enabled, NonZeroU64::new(size), offset(index, size), user_id)
                    .await?
                    .into_inner();
                let more = page.api_keys.len() as u64 == size;
                Ok((page.api_keys, more))
            },
        )
    }
}
