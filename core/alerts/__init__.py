"""Alert delivery: the Overview's alerts reach people by Telegram, a webhook or e-mail.

    channels   how a message is sent (Telegram Bot API, Slack-compatible webhook, SMTP)
    evaluate   which alerts hold now, club by club, with the Overview's rules
    store      channels and subscriptions of each account, cut to the clubs it may see
    dispatch   one pass: incidents, one message per incident and channel, quiet hours, back-off
    messages   the words of a message, in the channel's language
    service    what the System page and `oyna alerts` call (permissions checked here)
"""
