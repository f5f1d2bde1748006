import Foundation

/// The checks for one exchange against the operation it matched.
struct ExchangeCheck {
    let contract: OpenAPIContract
    let exchange: HTTPExchange
    let template: String
    let operation: [String: JSONValue]

    private var validator: SchemaValidator { SchemaValidator(document: contract.document) }
    private var requestPrefix: String { "\(exchange.summary) request" }
    private var responsePrefix: String { "\(exchange.summary) → \(exchange.status)" }

    // MARK: Request

    func requestProblems() -> [String] {
        queryProblems() + bodyProblems()
    }

    private func queryProblems() -> [String] {
        let items = exchange.queryItems
        var found: [String] = []
        for parameter in parameters() where parameter["in"]?.string == "query" {
            guard let name = parameter["name"]?.string else { continue }
            guard let text = items[name] else {
                if parameter["required"]?.bool == true { found.append("\(requestPrefix): query parameter \(name) is required") }
                continue
            }
            let schema = parameter["schema"].flatMap(resolved) ?? .object([:])
            if let problem = Self.queryProblem(text, schema: schema) {
                found.append("\(requestPrefix): query parameter \(name)=\(text): \(problem)")
            }
        }
        return found
    }

    /// Parameters of the operation, with `$ref`s followed.
    private func parameters() -> [JSONValue] {
        (operation["parameters"]?.array ?? []).compactMap(resolved)
    }

    private static func queryProblem(_ text: String, schema: JSONValue) -> String? {
        switch schema["type"]?.string {
        case "integer": Int64(text) == nil ? "expected an integer" : nil
        case "number": Double(text) == nil ? "expected a number" : nil
        case "boolean": ["true", "false"].contains(text.lowercased()) ? nil : "expected true or false"
        default: nil
        }
    }

    private func bodyProblems() -> [String] {
        guard let requestBody = operation["requestBody"].flatMap(resolved) else { return [] }
        let isRequired = requestBody["required"]?.bool == true
        guard !exchange.requestBody.isEmpty else {
            return isRequired ? ["\(requestPrefix): a body is required"] : []
        }
        let content = requestBody["content"]?.object ?? [:]
        if let form = content["multipart/form-data"],
           let boundary = FormFields.boundary(contentType: exchange.requestContentType, body: exchange.requestBody) {
            guard let fields = FormFields(body: exchange.requestBody, boundary: boundary) else {
                return ["\(requestPrefix): the multipart/form-data body is malformed"]
            }
            return fields.problems(against: form["schema"] ?? .object([:]), resolve: validator.resolve)
                .map { "\(requestPrefix): \($0)" }
        }
        // Other bodies (a file sent as it is) are checked only where JSON is documented.
        guard let schema = content["application/json"]?["schema"] else { return [] }
        guard let body = JSONValue.parse(exchange.requestBody) else {
            return ["\(requestPrefix): the body is not JSON"]
        }
        if usesUserIDs(body) {
            var found = validator.problems(body, against: DeviationSchemas.userIDsRequest).map { "\(requestPrefix): \($0)" }
            if (body["user_ids"]?.array?.count ?? 0) > DeviationSchemas.maxUserIDs {
                found.append("\(requestPrefix): $.user_ids: more than \(DeviationSchemas.maxUserIDs) ids")
            }
            return found
        }
        return validator.problems(body, against: schema).map { "\(requestPrefix): \($0)" }
    }

    /// The README's `user_ids` form of adding channel members, when it is excused.
    private func usesUserIDs(_ body: JSONValue) -> Bool {
        contract.deviations.contains(.addChannelMembersByUserIDs)
            && template == DeviationSchemas.addChannelMembersPath
            && exchange.method == "POST"
            && body["user_ids"] != nil && body["user_id"] == nil
    }

    // MARK: Response

    func responseProblems() -> [String] {
        let responses = operation["responses"]?.object ?? [:]
        let status = exchange.status
        if status == 429 { return rateLimitProblems(documented: responses["429"]) }
        var response = responses[String(status)]
        if response == nil, status == 200, template == "/api/v4/users/login", exchange.method == "POST",
           contract.deviations.contains(.loginAnswers200) {
            response = responses["201"]
        }
        if response == nil, OpenAPIContract.outageStatuses.contains(status) {
            return errorBodyProblems()
        }
        if response == nil, status == 200, exchange.method == "GET", template == DeviationSchemas.downloadPath,
           contract.deviations.contains(.fileDownloadAnswers200) {
            return []  // the file itself, of any type
        }
        guard let documented = response.flatMap(resolved) else {
            let known = responses.keys.sorted().joined(separator: ", ")
            return ["\(responsePrefix): status not documented (documented: \(known))"]
        }
        if status == 201, template == DeviationSchemas.addChannelMembersPath,
           let body = JSONValue.parse(exchange.requestBody), usesUserIDs(body) {
            return jsonProblems(schema: DeviationSchemas.channelMembersResponse)
        }
        guard let schema = documented["content"]?["application/json"]?["schema"] else {
            return otherTypeProblems(documented["content"]?.object ?? [:])
        }
        if status == 201, exchange.method == "POST", template == DeviationSchemas.uploadPath,
           contract.deviations.contains(.uploadAnswersNullClientIDs) {
            return jsonProblems(schema: schema) { body in
                guard case .object(var members) = body, members["client_ids"] == .null else { return body }
                members["client_ids"] = nil
                return .object(members)
            }
        }
        return jsonProblems(schema: schema)
    }

    private func rateLimitProblems(documented: JSONValue?) -> [String] {
        if isJSONResponse { return errorBodyProblems() }
        if contract.deviations.contains(.rateLimitInPlainText) { return [] }
        return ["\(responsePrefix): expected a JSON error body, got \(exchange.responseContentType ?? "no content type")"]
    }

    /// An error body that claims to be JSON must be an `AppError`; other bodies (a proxy's
    /// HTML page during an outage) are let through.
    private func errorBodyProblems() -> [String] {
        guard isJSONResponse, !exchange.responseBody.isEmpty else { return [] }
        return jsonProblems(schema: .object(["$ref": .string("#/components/schemas/AppError")]))
    }

    /// `excusing` takes out of the body what a deviation lets the server send otherwise.
    private func jsonProblems(schema: JSONValue, excusing: (JSONValue) -> JSONValue = { $0 }) -> [String] {
        guard !exchange.responseBody.isEmpty else { return ["\(responsePrefix): expected a JSON body, got none"] }
        if let type = exchange.responseContentType, !Self.isJSON(type) {
            return ["\(responsePrefix): expected application/json, got \(type)"]
        }
        guard let body = JSONValue.parse(exchange.responseBody) else {
            return ["\(responsePrefix): the body is not JSON"]
        }
        return validator.problems(excusing(body), against: schema).map { "\(responsePrefix): \($0)" }
    }

    /// A body documented only in other types (`text/plain`, say) comes in one of them.
    private func otherTypeProblems(_ types: [String: JSONValue]) -> [String] {
        guard !types.isEmpty, !types.keys.contains("*/*") else { return [] }
        let type = exchange.responseContentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard !types.keys.contains(type) else { return [] }
        return ["\(responsePrefix): expected \(types.keys.sorted().joined(separator: " or ")), got \(exchange.responseContentType ?? "no content type")"]
    }

    private var isJSONResponse: Bool { exchange.responseContentType.map(Self.isJSON) ?? false }

    private static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return type == "application/json" || type.hasSuffix("+json")
    }

    /// Follows a `$ref` at the top of a parameter, body or response object.
    private func resolved(_ value: JSONValue) -> JSONValue? {
        var current = value
        for _ in 0..<8 {
            guard let reference = current["$ref"]?.string else { return current }
            guard let target = validator.resolve(reference) else { return nil }
            current = target
        }
        return nil
    }
}
