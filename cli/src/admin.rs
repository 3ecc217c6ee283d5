//! `helium-cli admin`: list, show, create and delete admin accounts, and issue credentials.
//!
//! The operator runs with the database's own credentials, so every call uses
//! [`Grant::unchecked_for_operator`]: there is no admin identity to check. Changes are still
//! written to the audit log, with no actor.

use std::io::BufRead;
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Subcommand;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_manage::AdminRole;
use helium_manage::services::access::Grant;
use helium_manage::services::admin_account::{
    AdminAccount, AdminAccountService, CreateAdminRequest, DeleteAdminRequest, GetAdminRequest,
    IssueCredentialRequest, ListAdminsRequest,
};
use uuid::Uuid;

use crate::connect::Options;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// List admin accounts, oldest first
    List {
        /// Number of accounts to show
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Number of accounts to skip
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Show one admin account
    Show {
        /// The account's UUID
        admin_id: Uuid,
    },
    /// Create an admin account
    Create {
        /// Display name
        #[arg(long)]
        name: String,
        /// super_admin, moderator, customer_support or support_bot (any case; - or _ optional)
        #[arg(long)]
        role: String,
        /// Email address
        #[arg(long)]
        email: Option<String>,
        /// URL of an avatar image
        #[arg(long)]
        avatar: Option<String>,
    },
    /// Delete an admin account after confirmation
    Delete {
        /// The account's UUID
        admin_id: Uuid,
        /// Delete without asking for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Issue a new credential for an admin account, replacing the current one, and print it once
    Credential {
        /// The account's UUID
        admin_id: Uuid,
    },
}

pub async fn run(connections: &Options, command: AdminCommand) -> anyhow::Result<ExitCode> {
    // Check the role before connecting, so a typo is reported as such even with no database.
    let role = match &command {
        AdminCommand::Create { role, .. } => Some(role.parse::<AdminRole>()?),
        _ => None,
    };
    let db = connections.database().await?;
    let admins = AdminAccountService::new(DatabaseProcessor::from_pool(db));

    match command {
        AdminCommand::List { limit, offset } => list(&admins, limit, offset).await,
        AdminCommand::Show { admin_id } => show(&admins, admin_id).await,
        AdminCommand::Create {
            name,
            email,
            avatar,
            ..
        } => {
            let Some(role) = role else {
                return Ok(ExitCode::FAILURE);
            };
            create(
                &admins,
                CreateAdminRequest {
                    grant: Grant::unchecked_for_operator(),
                    name,
                    role,
                    email,
                    avatar,
                    with_credential: false,
                },
            )
            .await
        }
        AdminCommand::Delete { admin_id, yes } => delete(&admins, admin_id, yes).await,
        AdminCommand::Credential { admin_id } => credential(&admins, admin_id).await,
    }
}

async fn list(admins: &AdminAccountService, limit: u32, offset: u32) -> anyhow::Result<ExitCode> {
    let accounts = admins
        .process(ListAdminsRequest {
            grant: Grant::unchecked_for_operator(),
            limit,
            offset,
        })
        .await
        .map_err(plain)?;
    if accounts.is_empty() {
        outln!("No admin accounts found.");
        return Ok(ExitCode::SUCCESS);
    }

    outln!("Found {} admin account(s):", accounts.len());
    outln!();
    outln!(
        "{:<36} {:<20} {:<30} {:<30} {:<20}",
        "ID",
        "Role",
        "Name",
        "Email",
        "Created At"
    );
    outln!(
        "{} {} {} {} {}",
        "-".repeat(36),
        "-".repeat(20),
        "-".repeat(30),
        "-".repeat(30),
        "-".repeat(20)
    );
    for account in &accounts {
        outln!(
            "{:<36} {:<20} {:<30} {:<30} {:<20}",
            account.id,
            account.role.display_name(),
            account.name,
            account.email.as_deref().unwrap_or("N/A"),
            timestamp(account.created_at),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(admins: &AdminAccountService, id: Uuid) -> anyhow::Result<ExitCode> {
    let account = admins
        .process(GetAdminRequest {
            grant: Grant::unchecked_for_operator(),
            id,
        })
        .await
        .map_err(plain)?;
    outln!("Admin Account Details:");
    outln!("  ID: {}", account.id);
    outln!("  Name: {}", account.name);
    outln!("  Role: {}", account.role);
    outln!("  Email: {}", account.email.as_deref().unwrap_or("N/A"));
    outln!("  Avatar: {}", account.avatar.as_deref().unwrap_or("N/A"));
    outln!("  Created At: {}", timestamp(account.created_at));
    Ok(ExitCode::SUCCESS)
}

async fn create(
    admins: &AdminAccountService,
    request: CreateAdminRequest,
) -> anyhow::Result<ExitCode> {
    let account = admins.process(request).await.map_err(plain)?.account;
    outln!("Successfully created admin account:");
    print_summary(&account);
    outln!("  Avatar: {}", account.avatar.as_deref().unwrap_or("N/A"));
    Ok(ExitCode::SUCCESS)
}

async fn delete(admins: &AdminAccountService, id: Uuid, yes: bool) -> anyhow::Result<ExitCode> {
    if !yes {
        let account = admins
            .process(GetAdminRequest {
                grant: Grant::unchecked_for_operator(),
                id,
            })
            .await
            .map_err(plain)?;
        outln!("Admin account to delete:");
        print_summary(&account);
        outln!();
        if !confirm("Are you sure you want to delete this admin account? [y/N]: ")? {
            outln!("Deletion cancelled.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    admins
        .process(DeleteAdminRequest {
            grant: Grant::unchecked_for_operator(),
            id,
        })
        .await
        .map_err(plain)?;
    outln!("Successfully deleted admin account: {id}");
    Ok(ExitCode::SUCCESS)
}

async fn credential(admins: &AdminAccountService, id: Uuid) -> anyhow::Result<ExitCode> {
    let issued = admins
        .process(IssueCredentialRequest {
            grant: Grant::unchecked_for_operator(),
            admin_id: id,
        })
        .await
        .map_err(plain)?;
    outln!("Issued a new credential for admin account:");
    print_summary(&issued.admin);
    outln!("  Credential: {}", issued.credential.expose());
    outln!();
    outln!("Store this credential now: it is not kept anywhere and cannot be shown again.");
    outln!("Any previous credential of this admin no longer works, and its sessions have ended.");
    Ok(ExitCode::SUCCESS)
}

fn print_summary(account: &AdminAccount) {
    outln!("  ID: {}", account.id);
    outln!("  Name: {}", account.name);
    outln!("  Role: {}", account.role);
    outln!("  Email: {}", account.email.as_deref().unwrap_or("N/A"));
}

/// Asks on stdout and reads one answer from stdin. Only `y` or `yes` confirms; an empty
/// answer or a closed stdin (a script that forgot `--yes`) declines.
fn confirm(question: &str) -> anyhow::Result<bool> {
    out!("{question}");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.is_empty() {
        outln!();
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Service errors are already written for the operator; internal ones keep their cause.
fn plain(error: ServiceError) -> anyhow::Error {
    match error {
        ServiceError::Internal(cause) => cause,
        other => anyhow::Error::msg(other.to_string()),
    }
}
