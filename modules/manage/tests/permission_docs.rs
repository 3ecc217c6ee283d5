//! The permission matrix in `docs/src/operations/admin-roles.md` says what the code enforces:
//! every row's yes and no match `AdminRole::may`, and every action has a row. Operators plan
//! their staffing on that table, so a drift would mislead them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use helium_manage::AdminRole;
use helium_manage::services::access::AdminAction;

const MATRIX_HEADER: &str =
    "| Action | Call | Super Admin | Moderator | Customer Support | Support Bot |";

/// The action a row's `Call` cell documents; `None` for calls every admin may make.
fn action_of(call: &str) -> Option<AdminAction> {
    let action = match call {
        "`GetMe`" => return None,
        "`RotateCredential`" => AdminAction::RotateOwnCredential,
        "`ListAdmins`" => AdminAction::ViewAdmins,
        "`CreateAdmin`" => AdminAction::CreateAdmin,
        "`DeleteAdmin`" => AdminAction::DeleteAdmin,
        "`CreateAdminInvitation`" => AdminAction::InviteAdmin,
        "`ListAdminInvitations`" => AdminAction::ViewInvitations,
        "`RevokeAdminInvitation`" => AdminAction::RevokeInvitation,
        "`ChangeAdminRole`" => AdminAction::ChangeAdminRole,
        "`ListAuditLog`" => AdminAction::ReadAuditLog,
        "none yet; operators use `helium-cli admin credential`" => AdminAction::IssueCredential,
        "`SearchCustomers`, `GetCustomer`" => AdminAction::ViewCustomers,
        "`BanCustomer`" => AdminAction::BanCustomer,
        "`UnbanCustomer`" => AdminAction::UnbanCustomer,
        "`RemoveCustomerMfa`" => AdminAction::RemoveCustomerMfa,
        "`SendCustomerPasswordReset`" => AdminAction::SendCustomerPasswordReset,
        "`EndCustomerSessions`" => AdminAction::EndCustomerSessions,
        other => panic!("the matrix documents a call this test does not know: {other}"),
    };
    Some(action)
}

/// The matrix's rows after the header and its separator, split into trimmed cells.
fn matrix_rows(page: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = page.lines().collect();
    let header = lines
        .iter()
        .position(|line| line.trim() == MATRIX_HEADER)
        .expect("the permission matrix's header is in the page");
    lines[header + 2..]
        .iter()
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_documented_matrix_is_the_enforced_one() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/src/operations/admin-roles.md"
    );
    let page = std::fs::read_to_string(path).unwrap();

    let mut documented = Vec::new();
    for row in matrix_rows(&page) {
        assert_eq!(row.len(), 6, "a matrix row has six cells: {row:?}");
        let Some(action) = action_of(&row[1]) else {
            assert!(row[2..].iter().all(|cell| cell == "yes"), "{row:?}");
            continue;
        };
        for (role, cell) in AdminRole::ALL.iter().zip(&row[2..]) {
            let allowed = match cell.as_str() {
                "yes" => true,
                "no" => false,
                other => panic!("a matrix cell is yes or no, not {other:?}"),
            };
            assert_eq!(role.may(action), allowed, "{role} and {action:?}");
        }
        documented.push(action);
    }

    for action in AdminAction::ALL {
        assert!(
            documented.contains(&action),
            "{action:?} has no row in the matrix"
        );
    }
}
