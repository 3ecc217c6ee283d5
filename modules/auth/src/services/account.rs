//! The signed-in customer's own account.

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};

use super::session::Caller;
use crate::entities::db::mfa::FindUserMfa;
use crate::entities::db::user_account::{FindUserById, UserAccountRow};

pub struct GetProfile {
    pub caller: Caller,
}

/// The account as its owner sees it.
pub struct Profile {
    pub account: UserAccountRow,
    /// Whether sign-in asks for a second factor; a pending enrolment does not count.
    pub mfa_enabled: bool,
}

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
    type Output = Profile;
    type Error = ServiceError;

    async fn process(&self, input: GetProfile) -> Result<Profile, ServiceError> {
        let account = self
            .db
            .process(FindUserById {
                id: input.caller.user_id,
            })
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the account no longer exists".into()))?;
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?;
        Ok(Profile {
            account,
            mfa_enabled: mfa.is_some_and(|mfa| mfa.enabled_at.is_some()),
        })
    }
}
