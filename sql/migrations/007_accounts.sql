-- Sign-in accounts for the app (not the chain's customers, who live in `users`).
-- Usernames are stored lower-case, so the plain unique constraint is case-insensitive.
-- password_hash is a self-describing scrypt string: scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>.
-- failed_attempts / locked_until hold the sign-in throttle, shared by every app process.

create table if not exists app_accounts (
    id                   integer generated always as identity primary key,
    username             text not null unique
                         check (username ~ '^[a-z0-9._-]{3,32}$'),
    role                 text not null check (role in ('manager', 'analyst')),
    password_hash        text not null check (password_hash like 'scrypt$%'),
    created_at           timestamptz not null default now(),
    password_changed_at  timestamptz not null default now(),
    failed_attempts      integer not null default 0 check (failed_attempts >= 0),
    locked_until         timestamptz
);

-- One row per sign-in attempt. The username is recorded only when it names an existing
-- account, so a password typed into the username field never lands here.
create table if not exists sign_in_log (
    id         bigint generated always as identity primary key,
    username   text,
    succeeded  boolean not null,
    reason     text not null check (reason in ('ok', 'bad_password', 'unknown_account', 'throttled')),
    at         timestamptz not null default now()
);

create index if not exists idx_sign_in_log_at on sign_in_log (at desc);
create index if not exists idx_sign_in_log_username on sign_in_log (username, at desc);
