/**
 * `@cartero/mime`: a streaming MIME parser, a message builder, transfer and header encodings, header folding and
 * the DSN builder.
 *
 * @since 0.1.0
 */
export * as AddressList from "./AddressList.ts"
export * as Base64 from "./Base64.ts"
export * as Builder from "./Builder.ts"
export * as Charset from "./Charset.ts"
export * as ContentType from "./ContentType.ts"
export * as Defect from "./Defect.ts"
export * as Dsn from "./Dsn.ts"
export * as EncodedWord from "./EncodedWord.ts"
export * as Flowed from "./Flowed.ts"
export * as HeaderRemoval from "./HeaderRemoval.ts"
export * as Headers from "./Headers.ts"
export * as MailDate from "./MailDate.ts"
export * as Message from "./Message.ts"
export * as Parser from "./Parser.ts"
export * as Part from "./Part.ts"
export * as QuotedPrintable from "./QuotedPrintable.ts"
export * as TransferEncoding from "./TransferEncoding.ts"
