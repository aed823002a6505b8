//! Tests of the loans group: `/api/loans/*` and `/api/admin/loans/*`.
mod access;
mod apply;
mod calculate;
mod cancel;
mod concurrency;
mod decision;
mod list;
mod payments;
mod schedule;
mod support;
