//! The signed-in customer's own account.

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};

use super::session::Caller;
use crate::cache::AuthCache;
use crate::entities::db::user_account::{FindProfile, ProfileRow};

pub struct GetProfile {
    pub caller: Caller,
}

/// The account as its owner sees it.
#[derive(Clone)]
pub struct AccountService {
    db: DatabaseProcessor,
    cache: AuthCache,
}

impl AccountService {
    pub fn new(db: DatabaseProcessor, cache: AuthCache) -> Self {
        Self { db, cache }
    }
}

impl Processor<GetProfile> for AccountService {
    type Output = ProfileRow;
    type Error = ServiceError;

    async fn process(&self, input: GetProfile) -> Result<ProfileRow, ServiceError> {
        let user_id = input.caller.user_id;
        if let Some(profile) = self.cache.profile(user_id) {
            return Ok(profile);
        }
        let ticket = self.cache.generation();
        let profile = self
            .db
            .process(FindProfile { id: user_id })
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the account no longer exists".into()))?;
        self.cache.remember_profile(profile.clone(), ticket);
        Ok(profile)
    }
}
