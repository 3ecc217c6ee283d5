//! The signed-in customer's own account.

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};

use super::session::Caller;
use crate::entities::db::user_account::{FindProfile, ProfileRow};

pub struct GetProfile {
    pub caller: Caller,
}

/// The account as its owner sees it.
#[derive(Clone)]
pub struct AccountService {
    db: DatabaseProcessor,
}

impl AccountService {
    pub fn new(db: DatabaseProcessor) -> Self {
        Self { db }
    }
}

impl Processor<GetProfile> for AccountService {
    type Output = ProfileRow;
    type Error = ServiceError;

    async fn process(&self, input: GetProfile) -> Result<ProfileRow, ServiceError> {
        let profile = self
            .db
            .process(FindProfile {
                id: input.caller.user_id,
            })
            .await?;
        profile.ok_or_else(|| ServiceError::Unauthenticated("the account no longer exists".into()))
    }
}
