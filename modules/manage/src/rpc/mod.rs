//! The admin gRPC API: `helium.manage.v1.AdminAuthService` and `helium.manage.v1.AdminService`.
//!
//! Protocol only. A handler reads the request, authenticates the caller, turns the session into
//! the grant its service call needs, calls one service operation and maps the result; the
//! rules live in [`crate::services`].

mod admin;
mod auth;
mod convert;

use helium_auth::cache::AuthCache;
use helium_auth::services::customer_admin::CustomerAdminService;
use helium_framework::config::ConfigStore;
use helium_framework::processor::DatabaseProcessor;
use helium_framework::redis::RedisConnection;
use helium_shield::services::Shield;
use sqlx::PgPool;

pub use admin::AdminRpc;
pub use auth::AdminAuthRpc;

use crate::pb::admin_auth_service_server::AdminAuthServiceServer;
use crate::pb::admin_service_server::AdminServiceServer;
use crate::services::access::Origin;
use crate::services::admin_account::AdminAccountService;
use crate::services::audit_log::AuditLogService;
use crate::services::credential::CredentialService;
use crate::services::customer::CustomerService;
use crate::services::invitation::InvitationService;
use crate::services::token::AdminTokens;

/// The encoded descriptors of `proto/manage/`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("helium.manage.v1");

/// The two admin services, ready to mount on the `grpc` worker's server.
///
/// Admin sessions need no Redis: they are checked against the credential row in PostgreSQL,
/// which the write that revokes them changes in the same transaction. `redis` is for the auth
/// module's services behind the customer calls, whose session markers a ban deletes, and
/// `auth_cache` the memory the customer services of the same worker share, which a ban or an
/// MFA removal must update at once.
pub fn services(
    db: PgPool,
    redis: RedisConnection,
    configs: ConfigStore,
    auth_cache: AuthCache,
) -> (
    AdminAuthServiceServer<AdminAuthRpc>,
    AdminServiceServer<AdminRpc>,
) {
    let db = DatabaseProcessor::from_pool(db);
    let tokens = AdminTokens::new(configs.clone());
    let shield = Shield::new(configs.clone(), redis.clone());
    let credentials = CredentialService::new(db.clone(), tokens.clone(), shield);
    let invitations = InvitationService::new(db.clone(), tokens);
    let customers = CustomerService::new(
        db.clone(),
        CustomerAdminService::new(db.clone(), redis, configs, auth_cache),
    );

    let auth = AdminAuthRpc::new(credentials.clone(), invitations.clone());
    let admin = AdminRpc::new(
        credentials,
        AdminAccountService::new(db.clone()),
        invitations,
        AuditLogService::new(db),
        customers,
    );
    (
        AdminAuthServiceServer::new(auth),
        AdminServiceServer::new(admin),
    )
}

/// Where `request` came from, for the audit log.
fn origin<T>(request: &tonic::Request<T>) -> Origin {
    Origin {
        source_address: Some(helium_framework::grpc::client_address(request)),
        peer_address: request.remote_addr().map(|address| address.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn the_descriptor_set_describes_both_admin_services_for_reflection() {
        let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();

        let services: Vec<String> = set
            .file
            .iter()
            .filter(|file| file.package() == "helium.manage.v1")
            .flat_map(|file| file.service.iter().map(|service| service.name().to_owned()))
            .collect();

        assert_eq!(services, ["AdminAuthService", "AdminService"]);
    }
}
