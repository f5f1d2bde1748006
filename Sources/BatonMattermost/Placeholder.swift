// The Mattermost adapter: REST client, event stream, agent desk.
