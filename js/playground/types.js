// Shapes shared by the playground's modules. They mirror src/replicate_widget/_form.py (FieldSpec) and
// _playground.py (the traits); no code lives here.

/**
 * One form field as the kernel describes it (built from the model's Input schema).
 * @typedef {object} FieldSpec
 * @property {string} name
 * @property {string} label
 * @property {string} description
 * @property {"file"|"files"|"text"|"textarea"|"slider"|"number"|"toggle"|"select"|"secret"|"list"|"json"} kind
 * @property {"string"|"integer"|"number"|"boolean"|"array"|"object"|string} value_type
 * @property {boolean} required
 * @property {boolean} has_default
 * @property {any} default
 * @property {number|null} minimum
 * @property {number|null} maximum
 * @property {number|null} step
 * @property {any[]} options
 * @property {string} accept
 * @property {string} item_type
 */

/**
 * One rendered output.
 * @typedef {object} OutputItem
 * @property {"image"|"audio"|"video"|"file"|"text"|"json"} kind
 * @property {string} label
 * @property {string} [url]
 * @property {string} [name]
 * @property {string} [text]
 */

/**
 * A run in this session's history.
 * @typedef {object} RunSummary
 * @property {number} n
 * @property {string} id
 * @property {string} status
 * @property {number|null} seconds
 * @property {string} summary
 */

/**
 * A file entry of a file field, as the kernel reports it.
 * @typedef {object} FileEntry
 * @property {string} id
 * @property {string} name
 * @property {number} size
 * @property {string} type
 * @property {string} state
 * @property {number} progress
 * @property {string} [error]
 */

export {};
