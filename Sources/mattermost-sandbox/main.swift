print("mattermost-sandbox: not written yet")
