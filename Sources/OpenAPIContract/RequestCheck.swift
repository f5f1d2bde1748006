import Foundation

/// What a server should do with a request, judged by the document.
public enum RequestVerdict: Sendable, Equatable {
    /// It matches an operation; `parameters` are the path parameters, decoded.
    case accepted(operationID: String?, parameters: [String: String])
    /// No path of the document matches.
    case unknownPath
    /// The path exists, but not for this method; `allowed` lists the methods it has.
    case methodNotAllowed(allowed: [String])
    /// It matches an operation but breaks its rules; each problem says where and how.
    case invalid([String])
}

extension OpenAPIContract {
    /// Checks a request a server received: path and method, path and query parameters
    /// (types, patterns, ranges, required ones) and the JSON body (or a form's fields), so
    /// that handlers only ever see well-formed input.
    public func check(method: String, path: String, query: String?, body: Data, contentType: String? = nil) -> RequestVerdict {
        switch lookup.match(method: method, path: path) {
        case .noPath:
            return .unknownPath
        case .methodNotDocumented(let template):
            let item = document["paths"]?[template]?.object ?? [:]
            let methods = ["get", "put", "post", "delete", "patch"].filter { item[$0] != nil }.map { $0.uppercased() }
            return .methodNotAllowed(allowed: methods)
        case .operation(let template, let operation, let parameters):
            let pathItem = document["paths"]?[template]?.object ?? [:]
            let declared = (pathItem["parameters"]?.array ?? []) + (operation["parameters"]?.array ?? [])
            let exchange = HTTPExchange(method: method, path: path, query: query, requestBody: body, status: 0)
            var problems = parameterProblems(declared.compactMap(resolvedParameter), path: parameters, query: exchange.queryItems)
            problems += bodyProblems(operation: operation, body: body, contentType: contentType)
            return problems.isEmpty ? .accepted(operationID: operation["operationId"]?.string, parameters: parameters) : .invalid(problems)
        }
    }

    private func resolvedParameter(_ value: JSONValue) -> JSONValue? {
        guard let reference = value["$ref"]?.string else { return value }
        return SchemaValidator(document: document).resolve(reference)
    }

    private func parameterProblems(_ declared: [JSONValue], path: [String: String], query: [String: String]) -> [String] {
        let validator = SchemaValidator(document: document)
        var problems: [String] = []
        for parameter in declared {
            guard let name = parameter["name"]?.string, let location = parameter["in"]?.string else { continue }
            let text = location == "path" ? path[name] : location == "query" ? query[name] : nil
            guard let text else {
                if parameter["required"]?.bool == true { problems.append("the \(location) parameter \"\(name)\" is required") }
                continue
            }
            let schema = parameter["schema"] ?? .object([:])
            let resolvedSchema = schema["$ref"]?.string.flatMap(validator.resolve) ?? schema
            let value: JSONValue
            switch resolvedSchema["type"]?.string {
            case "integer":
                guard let number = Int64(text) else {
                    problems.append("the \(location) parameter \"\(name)\" must be a whole number, not \"\(text.prefix(40))\"")
                    continue
                }
                value = .integer(number)
            case "number":
                guard let number = Double(text) else {
                    problems.append("the \(location) parameter \"\(name)\" must be a number, not \"\(text.prefix(40))\"")
                    continue
                }
                value = .number(number)
            case "boolean":
                guard ["true", "false"].contains(text) else {
                    problems.append("the \(location) parameter \"\(name)\" must be true or false")
                    continue
                }
                value = .bool(text == "true")
            default:
                value = .string(text)
            }
            problems += validator.problems(value, against: schema, at: name).map { "the \(location) parameter \($0)" }
        }
        return problems
    }

    private func bodyProblems(operation: [String: JSONValue], body: Data, contentType: String?) -> [String] {
        let validator = SchemaValidator(document: document)
        guard var requestBody = operation["requestBody"] else {
            return body.isEmpty ? [] : ["this operation takes no body"]
        }
        if let reference = requestBody["$ref"]?.string, let target = validator.resolve(reference) { requestBody = target }
        guard !body.isEmpty else {
            return requestBody["required"]?.bool == true ? ["a JSON body is required"] : []
        }
        let content = requestBody["content"]?.object ?? [:]
        if let form = content["multipart/form-data"], let boundary = FormFields.boundary(contentType: contentType, body: body) {
            guard let fields = FormFields(body: body, boundary: boundary) else { return ["the multipart/form-data body is malformed"] }
            return fields.problems(against: form["schema"] ?? .object([:]), resolve: validator.resolve)
        }
        guard let schema = content["application/json"]?["schema"] else { return [] }
        guard let json = JSONValue.parse(body) else { return ["the body is not valid JSON"] }
        return validator.problems(json, against: schema, at: "body")
    }
}
