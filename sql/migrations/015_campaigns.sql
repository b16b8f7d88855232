-- Retention campaigns with a held-out control group (core/campaigns/, docs/campaigns.md).
--
-- A campaign is the offer, its cost, its window and the customers it was planned for; each of them is
-- assigned once, at random, to the treated group (contacted) or the control group (not contacted).
-- The assignment never changes: rows of campaign_assignments are written in the transaction that
-- creates their campaign and can be neither updated nor deleted; a campaign's definition cannot change
-- and a campaign is never deleted (the ledger keeps every one). Closing sets closed_at, closed_by and
-- the final result once. TRUNCATE (wiping the whole database, as `oyna demo --replace` does) is the
-- owner's act and is not blocked.

create table if not exists campaigns (
    id                bigint generated always as identity primary key,
    name              text not null check (length(trim(name)) between 1 and 120),
    offer             text not null check (length(trim(offer)) between 1 and 300),
    cost_per_contact  numeric(12, 2) not null check (cost_per_contact >= 0),
    window_days       integer not null check (window_days between 1 and 365),
    starts_on         date not null,
    starts_at         timestamptz not null,            -- starts_on at midnight in the chain's time zone
    ends_at           timestamptz not null,            -- starts_at + window_days
    control_share     numeric(4, 3) not null check (control_share > 0 and control_share < 1),
    seed              bigint not null check (seed >= 0),
    club_ids          integer[] not null check (cardinality(club_ids) > 0),
    audience          jsonb not null check (jsonb_typeof(audience) = 'object'),
    model_version     text,                            -- the scores the audience was chosen from
    created_by        text not null check (length(trim(created_by)) > 0),
    created_at        timestamptz not null default now(),
    created_xid       xid8 not null default pg_current_xact_id(),
    closed_at         timestamptz,
    closed_by         text,
    result            jsonb,                           -- the final measurement, written when closed
    check (ends_at > starts_at),
    check ((closed_at is null) = (closed_by is null))
);

create index if not exists idx_campaigns_created on campaigns (created_at desc);

create table if not exists campaign_assignments (
    campaign_id  bigint not null references campaigns (id),
    user_id      integer not null references users (id),
    treated      boolean not null,                     -- false: the control group, never contacted
    club_id      integer not null,                     -- the customer's favourite club when assigned
    churn_risk   numeric(5, 1) not null check (churn_risk between 0 and 100),
    risk_band    text not null check (risk_band in ('low', 'medium', 'high')),
    clv_12m      numeric(12, 2),
    primary key (campaign_id, user_id)
);

create index if not exists idx_campaign_assignments_user on campaign_assignments (user_id);

-- Assignments: written only by the transaction that created the campaign, never changed afterwards.
create or replace function campaign_assignments_guard() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        if not exists (select 1 from campaigns c
                       where c.id = new.campaign_id and c.created_xid = pg_current_xact_id()) then
            raise exception 'campaign % already has its groups; customers cannot be added afterwards',
                new.campaign_id using errcode = 'integrity_constraint_violation';
        end if;
        return new;
    end if;
    raise exception 'campaign assignments cannot change once made (% of campaign %)', lower(tg_op),
        old.campaign_id using errcode = 'integrity_constraint_violation';
end $$;

drop trigger if exists campaign_assignments_guard on campaign_assignments;
create trigger campaign_assignments_guard
    before insert or update or delete on campaign_assignments
    for each row execute function campaign_assignments_guard();

-- Campaigns: never deleted; only the closing columns change, once.
create or replace function campaigns_guard() returns trigger
language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'campaigns are kept in the ledger; campaign % cannot be deleted', old.id
            using errcode = 'integrity_constraint_violation';
    end if;
    if old.closed_at is not null then
        raise exception 'campaign % is closed; it cannot change', old.id
            using errcode = 'integrity_constraint_violation';
    end if;
    if (to_jsonb(new) - array['closed_at', 'closed_by', 'result'])
       is distinct from (to_jsonb(old) - array['closed_at', 'closed_by', 'result']) then
        raise exception 'a campaign''s definition cannot change once created (campaign %)', old.id
            using errcode = 'integrity_constraint_violation';
    end if;
    return new;
end $$;

drop trigger if exists campaigns_guard on campaigns;
create trigger campaigns_guard
    before update or delete on campaigns
    for each row execute function campaigns_guard();


-- The demo's hidden truth about campaigns (read only by core.demo and tests): the uplift the live feed
-- gives contacted customers (the chance of one extra visit in the window), and for each treated
-- customer whether they respond, when, and the booking that visit became.
create table if not exists demo_truth.campaign_uplift (
    campaign_id  bigint primary key references campaigns (id),
    uplift       double precision not null check (uplift between 0 and 1),
    decided_at   timestamptz not null default now()
);

create table if not exists demo_truth.campaign_responses (
    campaign_id  bigint not null references campaigns (id),
    user_id      integer not null,
    responds     boolean not null,
    visit_at     timestamptz,                          -- when a responder comes (null: does not respond)
    booking_id   bigint,                               -- the booking the live feed made for it
    primary key (campaign_id, user_id)
);

create index if not exists idx_campaign_responses_due on demo_truth.campaign_responses (visit_at)
    where responds and booking_id is null;
