// tfjs-core's jasmine_util requires 'jasmine-core/lib/jasmine-core/jasmine.js' only to set a
// timeout on a private, unused jasmine instance; jasmine-core 7 does not export that path.
exports.core = () => ({});
