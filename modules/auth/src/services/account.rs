//! The signed-in customer's own account.

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};

use super::session::Caller;
use crate::entities::db::user_account::{FindUserById, UserAccountRow};

pub struct GetProfile {
    pub caller: Caller,
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
    type Output = UserAccountRow;
    type Error = ServiceError;

    async fn process(&self, input: GetProfile) -> Result<UserAccountRow, ServiceError> {
        self.db
            .process(FindUserById {
                id: input.caller.user_id,
            })
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the account no longer exists".into()))
    }
}
