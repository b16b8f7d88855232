-- Alert delivery (core/alerts): where alerts go, who wants which, what happened and each message.
--
--   alert_channels       a manager's destination: a Telegram chat, a Slack-compatible webhook or an
--                        e-mail address, with the language its messages are written in. The bot token
--                        and the SMTP server are settings (environment), never stored here.
--   alert_subscriptions  which clubs, alert kinds and levels reach a channel, and its quiet hours
--                        (club-local; critical alerts break them only when the subscription says so).
--   alert_incidents      one row per alert kind and club while it lasts (opened, last seen, cleared);
--                        `texts` holds its title and detail per language, as last seen.
--   alert_deliveries     one message per incident, channel and event (opened or cleared), with its
--                        attempts, back-off and last error.
--   alert_dispatcher     when the dispatcher last finished a pass (the health check reads it).

create table alert_channels (
    id          integer generated always as identity primary key,
    account_id  integer not null references app_accounts (id) on delete cascade,
    name        text not null check (length(trim(name)) between 1 and 60),
    kind        text not null check (kind in ('telegram', 'webhook', 'email')),
    target      text not null check (length(trim(target)) between 1 and 500),
    language    text not null default 'ru' check (language ~ '^[a-z]{2,3}$'),
    created_at  timestamptz not null default now(),
    unique (account_id, name)
);

create table alert_subscriptions (
    id                     integer generated always as identity primary key,
    channel_id             integer not null references alert_channels (id) on delete cascade,
    club_ids               integer[],   -- null: every club the channel's owner may see
    kinds                  text[],      -- null: every kind of alert
    min_level              text not null default 'critical' check (min_level in ('warning', 'critical')),
    quiet_from             time,
    quiet_until            time,
    critical_breaks_quiet  boolean not null default false,
    created_at             timestamptz not null default now(),
    check ((quiet_from is null) = (quiet_until is null)),
    check (quiet_from is distinct from quiet_until or quiet_from is null)
);

create index idx_alert_subscriptions_channel on alert_subscriptions (channel_id);

create table alert_incidents (
    id            bigint generated always as identity primary key,
    key           text not null,
    kind          text not null,
    club_id       integer,
    level         text not null check (level in ('warning', 'critical')),
    texts         jsonb not null default '{}' check (jsonb_typeof(texts) = 'object'),
    opened_at     timestamptz not null,
    last_seen_at  timestamptz not null,
    cleared_at    timestamptz
);

-- At most one open incident per key (kind and club).
create unique index alert_incidents_open_key on alert_incidents (key) where cleared_at is null;
create index idx_alert_incidents_opened on alert_incidents (opened_at desc);

create table alert_deliveries (
    id               bigint generated always as identity primary key,
    incident_id      bigint not null references alert_incidents (id) on delete cascade,
    subscription_id  integer not null references alert_subscriptions (id) on delete cascade,
    channel_id       integer not null references alert_channels (id) on delete cascade,
    event            text not null check (event in ('opened', 'cleared')),
    status           text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'cancelled')),
    attempts         integer not null default 0 check (attempts >= 0),
    next_attempt_at  timestamptz not null,
    last_error       text,
    created_at       timestamptz not null default now(),
    sent_at          timestamptz,
    unique (incident_id, channel_id, event)
);

create index idx_alert_deliveries_due on alert_deliveries (next_attempt_at) where status = 'pending';
create index idx_alert_deliveries_recent on alert_deliveries (created_at desc);

create table alert_dispatcher (
    id            boolean primary key default true check (id),
    last_pass_at  timestamptz,
    last_error    text
);

insert into alert_dispatcher (id) values (true);
