import type { Connection, Transaction } from "../src/Session.ts"
import * as Notes from "../src/Notes.ts"

export const connection = (overrides: Partial<Connection> = {}): Connection => ({
  id: "sess-1",
  listener: "mx",
  remoteAddress: "127.0.0.1",
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 2525,
  clientHostname: undefined,
  helo: "client.test",
  esmtp: true,
  secure: false,
  user: undefined,
  trusted: false,
  notes: Notes.makeStore(),
  ...overrides
})

export const transaction = (overrides: Partial<Transaction> = {}): Transaction => ({
  id: "txn-1",
  connection: connection(),
  mailFrom: { localPart: "alice", domain: "example.test" },
  params: { smtpUtf8: false },
  recipients: [],
  notes: Notes.makeStore(),
  ...overrides
})

export const rcpt = (local: string, domain: string) => ({ address: { localPart: local, domain } })
