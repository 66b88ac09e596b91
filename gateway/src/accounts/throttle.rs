//! The sign-in throttle: attempts counted in the database per account from one client address,
//! per account and per address, so that every node of a deployment and the `unlock` command see
//! the same counts. An attempt is counted before its password is checked, in one transaction
//! over its three keys, so parallel attempts can never get past a limit; a successful one is
//! taken back. Password hashing and HTTP are not here.

use std::net::{IpAddr, Ipv6Addr};

use sqlx::Row;

use crate::error::{Result, StoreContext};
use crate::store::Store;

/// Failed sign-ins one client address may make on one account within [`THROTTLE_WINDOW_MS`]
/// before that address is locked out of that account.
pub const MAX_FAILURES: u32 = 5;
/// Failed sign-ins on one account from every address together: far above [`MAX_FAILURES`], so
/// that a stranger guessing from elsewhere does not lock the real admin out of their own
/// address, yet a ceiling on guessing spread over many addresses.
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 50;
/// Failed sign-ins from one client address on any accounts, higher than [`MAX_FAILURES`]
/// because people behind one address (an office, a proxy) share it; it still stops one address
/// from guessing across many accounts.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The throttling window; a locked key stays locked until its window is over.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Counts one attempt in `key`'s current window, opening a new window when the last one is
/// over. Attempts past the limit are counted too, then rolled back with their transaction: a
/// plain increment answers the count on both engines in one statement.
const COUNT: &str =
    "insert into ai_login_throttle (key, account, address, failures, window_ends_at)
     values ($1, $2, $3, 1, $4)
     on conflict (key) do update set
         failures = case when ai_login_throttle.window_ends_at <= $5 then 1
                         else ai_login_throttle.failures + 1 end,
         window_ends_at = case when ai_login_throttle.window_ends_at <= $5 then $4
                               else ai_login_throttle.window_ends_at end
     returning failures, window_ends_at";

/// The keys one sign-in attempt is counted under.
#[derive(Debug)]
pub(crate) struct Attempt {
    pair: Key,
    account: Key,
    address: Key,
}

#[derive(Debug)]
struct Key {
    key: String,
    account: Option<String>,
    address: Option<String>,
    limit: u32,
}

impl Attempt {
    /// `account` as the caller normalised it, cut to the longest email an admin can have (a
    /// longer one never signs in, and the key stays small); without a known client address,
    /// every such attempt shares one address key.
    pub(crate) fn new(account: &str, client: Option<IpAddr>) -> Self {
        let account: String = account.chars().take(super::MAX_EMAIL_LEN).collect();
        let address = client.map_or_else(|| "unknown".to_owned(), counted_address);
        Self {
            pair: Key {
                key: format!("pair {address} {account}"),
                account: Some(account.clone()),
                address: Some(address.clone()),
                limit: MAX_FAILURES,
            },
            account: Key {
                key: format!("account {account}"),
                account: Some(account),
                address: None,
                limit: MAX_FAILURES_PER_ACCOUNT,
            },
            address: Key {
                key: format!("address {address}"),
                account: None,
                address: Some(address),
                limit: MAX_FAILURES_PER_ADDRESS,
            },
        }
    }

    fn keys(&self) -> [&Key; 3] {
        [&self.pair, &self.account, &self.address]
    }
}

/// How a client address is counted: IPv4 as is (also when mapped into IPv6), IPv6 by its /64
/// network, the smallest block one subscriber is given, so that hopping between its addresses
/// does not start a fresh count.
fn counted_address(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
    }
}

/// An attempt counted against every key of its [`Attempt`], in the windows it was counted in.
/// A wrong password leaves it counted; [`Reservation::succeeded`] and [`Reservation::refund`]
/// take it back.
#[derive(Debug)]
pub(crate) struct Reservation {
    attempt: Attempt,
    /// `window_ends_at` of the pair, account and address keys when the attempt was counted.
    windows: [i64; 3],
}

/// Counts the attempt under all its keys at once, or under none when any of them has reached
/// its limit; then the answer is the seconds until every locked key is open again.
pub(crate) async fn reserve(
    store: &Store,
    attempt: Attempt,
    now: i64,
) -> Result<Result<Reservation, u64>> {
    let context = "counting a sign-in attempt";
    let mut transaction = store.pool().begin().await.context(context)?;
    let mut windows = [0_i64; 3];
    let mut locked_until = None;
    for (key, window) in attempt.keys().into_iter().zip(&mut windows) {
        let row = sqlx::query(COUNT)
            .bind(&key.key)
            .bind(&key.account)
            .bind(&key.address)
            .bind(now.saturating_add(THROTTLE_WINDOW_MS))
            .bind(now)
            .fetch_one(&mut *transaction)
            .await
            .context(context)?;
        let failures: i64 = row.try_get("failures").context(context)?;
        *window = row.try_get("window_ends_at").context(context)?;
        if failures > i64::from(key.limit) {
            locked_until = locked_until.max(Some(*window));
        }
    }
    if let Some(until) = locked_until {
        transaction.rollback().await.context(context)?;
        let wait_ms = u64::try_from(until.saturating_sub(now)).unwrap_or(0);
        return Ok(Err(wait_ms.div_ceil(1000).max(1)));
    }
    transaction.commit().await.context(context)?;
    Ok(Ok(Reservation { attempt, windows }))
}

impl Reservation {
    /// The credentials were right: the account's failures from this address are forgotten,
    /// and the attempt is taken back from the account's and the address's counts (failures
    /// from elsewhere stay counted).
    pub(crate) async fn succeeded(self, store: &Store) -> Result<()> {
        sqlx::query("delete from ai_login_throttle where key = $1")
            .bind(&self.attempt.pair.key)
            .execute(store.pool())
            .await
            .context("clearing sign-in failures")?;
        let [_, account, address] = self.windows;
        take_back(store, &self.attempt.account, account).await?;
        take_back(store, &self.attempt.address, address).await
    }

    /// Nothing was decided (a failure on the way): the attempt is taken back from every count.
    pub(crate) async fn refund(self, store: &Store) -> Result<()> {
        for (key, window) in self.attempt.keys().into_iter().zip(self.windows) {
            take_back(store, key, window).await?;
        }
        Ok(())
    }
}

/// Takes one attempt back from `key`, unless the window it was counted in is already over (a
/// new window never counted it).
async fn take_back(store: &Store, key: &Key, window: i64) -> Result<()> {
    sqlx::query(
        "update ai_login_throttle set failures = failures - 1
         where key = $1 and window_ends_at = $2 and failures > 0",
    )
    .bind(&key.key)
    .bind(window)
    .execute(store.pool())
    .await
    .context("taking back a sign-in attempt")?;
    Ok(())
}

/// Forgets every count of `account` (from every address and in total); returns how many keys
/// were cleared.
pub(crate) async fn unlock_account(store: &Store, account: &str) -> Result<u64> {
    let done = sqlx::query("delete from ai_login_throttle where account = $1")
        .bind(account)
        .execute(store.pool())
        .await
        .context("unlocking an account")?;
    Ok(done.rows_affected())
}

/// Forgets every count of the client address `ip` (on every account and in total).
pub(crate) async fn unlock_address(store: &Store, ip: IpAddr) -> Result<u64> {
    let done = sqlx::query("delete from ai_login_throttle where address = $1")
        .bind(counted_address(ip))
        .execute(store.pool())
        .await
        .context("unlocking a client address")?;
    Ok(done.rows_affected())
}

/// Deletes the keys whose window is over; returns how many.
pub(crate) async fn sweep(store: &Store, now: i64) -> Result<u64> {
    let done = sqlx::query("delete from ai_login_throttle where window_ends_at <= $1")
        .bind(now)
        .execute(store.pool())
        .await
        .context("deleting sign-in counts whose window is over")?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_network_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let neighbour: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counted_address(one), "2001:db8:1:2::/64");
        assert_eq!(counted_address(one), counted_address(neighbour));
        assert_ne!(counted_address(one), counted_address(elsewhere));
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(counted_address(mapped), "203.0.113.9");
    }
}
