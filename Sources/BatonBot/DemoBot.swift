/// The demo bot created by `baton serve` on an empty database. The same text is
/// examples/demo.yaml; a test keeps the two equal.
public enum DemoBot {
    /// The widget key of the demo widget.
    public static let widgetKey = "demo"

    public static let source = #"""
# The demo bot that `baton serve` creates on an empty database (widget key "demo").
# Format: docs/bot-format.md
name: Ada
greeting:
  text: Hi, I'm Ada, Baton's demo bot. Ask me about Baton, or talk to a person.
  buttons:
    - What is Baton?
    - How does the handover work?
    - title: Talk to a person
      action: handover

settings:
  threshold: 0.6
  maxMisunderstandings: 2
  fallback: Sorry, I didn't get that. Try asking about Baton, pricing or Mattermost, or say "talk to a person".
  handoverFlow: contact
  handoverMessage: Thanks {{name}}! I'm handing you over to a person; they'll reply right here.
  noAgentsMessage: Thanks {{name}}. Nobody is available right now; leave a message and we'll get back to you ({{email}}).

intents:
  - name: about
    examples:
      - what is baton
      - what does this do
      - tell me about baton
      - who are you
    keywords: [baton]
    answer: Baton is a self-hosted chatbot and live-chat server. A bot answers first; when it can't help, a person takes over from Mattermost, right in this window.
    buttons:
      - How does the handover work?
      - How much does it cost?

  - name: handover-howto
    examples:
      - how does the handover work
      - how do agents reply
      - how does it work with mattermost
    keywords: [mattermost, handover, agents]
    answer: Baton opens a channel for the chat in your Mattermost team, adds your agents, and announces it in an index channel. Agents reply in Mattermost; you see their answers here.
    buttons:
      - title: Try it
        action: handover

  - name: pricing
    examples:
      - how much does it cost
      - what are your prices
      - is it free
    keywords: [price, pricing, cost, costs, free]
    answer: Baton is free to run on your own server.

  - name: hours
    examples:
      - when are you open
      - what are your opening hours
      - are you available on weekends
    keywords: [hours, open, weekend]
    answer: Our agents answer Monday to Friday, 9:00 to 17:00 (CET). The bot is here all the time.

  - name: thanks
    examples: [thank you, thanks a lot, great thanks]
    answer: You're welcome!

  - name: greeting
    examples: [hello, hi there, good morning]
    answer: Hello! What can I do for you?

flows:
  contact:
    - say: Before I hand you over, a few quick questions.
    - ask: What's your name?
      save: name
    - ask: What's your email address, so we can get back to you?
      save: email
      type: email
    - ask: What is it about?
      save: topic
      type: choice
      choices: [Sales, Support, Something else]

"""#
}
