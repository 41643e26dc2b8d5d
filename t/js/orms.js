// Sequelize and knex against a PostgreSQL-protocol server.
//
// Usage: node orms.js HOST PORT USER PASSWORD DATABASE
//
// Runs named checks and prints one JSON object per line, as clients.js
// does; t/115_js_orms.pl runs it against PostgreSQL 15 and against the
// router and compares the two, check by check.
'use strict';
const { Sequelize, DataTypes, Op } = require('sequelize');
const knexlib = require('knex');

const [host, port, user, password, database] = process.argv.slice(2);

function emit(name, r) { process.stdout.write(JSON.stringify(Object.assign({ name }, r)) + '\n'); }

async function check(name, fn) {
	try {
		emit(name, { value: await fn() });
	} catch (e) {
		const o = e.original || e;
		emit(name, { error: o.code || e.name || String(e.message) });
	}
}

async function sequelize() {
	const sq = new Sequelize(database, user, password, { host, port: Number(port), dialect: 'postgres', logging: false });
	const User = sq.define('sq_user', {
		id: { type: DataTypes.INTEGER, primaryKey: true },
		name: { type: DataTypes.STRING(40), allowNull: false },
		score: DataTypes.DECIMAL(10, 2),
		active: { type: DataTypes.BOOLEAN, defaultValue: true },
	}, { tableName: 'sq_users', timestamps: false });
	await check('sequelize: sync force', async () => { await User.sync({ force: true }); return true; });
	await check('sequelize: bulkCreate', async () =>
		(await User.bulkCreate(Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: 'u' + (i + 1), score: (i * 1.5).toFixed(2) })))).length);
	await check('sequelize: findByPk', async () => (await User.findByPk(7)).toJSON());
	await check('sequelize: count and sum', async () => [await User.count(), await User.sum('score')]);
	await check('sequelize: findAll where/order/limit', async () =>
		(await User.findAll({ where: { score: { [Op.gt]: 20 } }, order: [['score', 'DESC']], limit: 3 })).map((u) => u.id));
	await check('sequelize: update', async () => (await User.update({ name: 'x' }, { where: { id: { [Op.in]: [1, 2, 17] } } }))[0]);
	await check('sequelize: destroy', async () => User.destroy({ where: { id: { [Op.gte]: 28 } } }));
	await check('sequelize: rolled-back transaction', async () => {
		const t = await sq.transaction();
		await User.create({ id: 100, name: 'tx' }, { transaction: t });
		await User.update({ name: 'tx' }, { where: { id: 3 }, transaction: t });
		await t.rollback();
		return [await User.count(), (await User.findByPk(3)).name];
	});
	await check('sequelize: managed transaction', async () => {
		await sq.transaction(async (t) => {
			await User.update({ active: false }, { where: { id: [4, 5, 6, 21] }, transaction: t });
		});
		return User.count({ where: { active: false } });
	});
	await check('sequelize: unique violation', async () => User.create({ id: 1, name: 'dup' }));
	await check('sequelize: describeTable', async () => {
		const d = await sq.getQueryInterface().describeTable('sq_users');
		const out = {};
		for (const k of Object.keys(d).sort())
			out[k] = { type: d[k].type, allowNull: d[k].allowNull, defaultValue: d[k].defaultValue, primaryKey: d[k].primaryKey };
		return out;
	});
	await check('sequelize: sync alter adds a column', async () => {
		sq.define('sq_user', {
			id: { type: DataTypes.INTEGER, primaryKey: true },
			name: { type: DataTypes.STRING(40), allowNull: false },
			score: DataTypes.DECIMAL(10, 2),
			active: { type: DataTypes.BOOLEAN, defaultValue: true },
			note: DataTypes.TEXT,
		}, { tableName: 'sq_users', timestamps: false });
		await sq.sync({ alter: true });
		return Object.keys(await sq.getQueryInterface().describeTable('sq_users')).sort();
	});
	// a bigserial id the ORM leaves to the database, on a table sharded by it
	const Event = sq.define('sq_event', {
		id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
		body: { type: DataTypes.STRING(40), allowNull: false },
	}, { tableName: 'sq_events', timestamps: false });
	await check('sequelize: sync a bigserial id', async () => { await Event.sync({ force: true }); return true; });
	await check('sequelize: create gets the id back', async () => (await Event.create({ body: 'first' })).id);
	await check('sequelize: bulkCreate gets ids back', async () =>
		(await Event.bulkCreate(Array.from({ length: 20 }, (_, i) => ({ body: 'e' + i })), { returning: true })).map((e) => e.id));
	await check('sequelize: the ids are unique and found', async () =>
		[await Event.count(), await Event.count({ distinct: true, col: 'id' }), (await Event.findByPk(7)).body]);
	await sq.close();
}

async function knex() {
	const k = knexlib({ client: 'pg', connection: { host, port: Number(port), user, password, database } });
	await check('knex: schema', async () => {
		await k.schema.dropTableIfExists('kx_items');
		await k.schema.createTable('kx_items', (t) => {
			t.integer('id').primary();
			t.string('name', 50).notNullable();
			t.decimal('price', 10, 2);
			t.timestamp('at', { useTz: true });
		});
		return k.schema.hasTable('kx_items');
	});
	await check('knex: insert', async () => {
		await k('kx_items').insert(Array.from({ length: 25 }, (_, i) => ({ id: i + 1, name: 'k' + (i + 1), price: i / 2, at: new Date(Date.UTC(2024, 0, 1 + i)) })));
		return k('kx_items').count('* as n');
	});
	await check('knex: select', async () =>
		(await k('kx_items').select('id', 'name', 'price').where('price', '>', 5).orderBy('id').limit(4)).map((r) => [r.id, r.name, r.price]));
	await check('knex: whereIn, update, delete', async () => {
		const u = await k('kx_items').whereIn('id', [2, 13, 24]).update({ name: 'upd' });
		const d = await k('kx_items').where('id', '>', 20).del();
		return [u, d, (await k('kx_items').where({ name: 'upd' }).orderBy('id')).map((r) => r.id)];
	});
	await check('knex: aggregates', async () => k('kx_items').sum('price as s').max('at as m').avg('price as a'));
	await check('knex: transaction', async () => {
		await k.transaction(async (tx) => {
			await tx('kx_items').where('id', 1).update({ price: 100 });
			await tx('kx_items').where('id', 14).update({ price: 100 });
		});
		try {
			await k.transaction(async (tx) => {
				await tx('kx_items').where('id', 2).update({ price: 999 });
				throw new Error('abort');
			});
		} catch (e) { /* rolled back */ }
		return (await k('kx_items').whereIn('id', [1, 2, 14]).orderBy('id')).map((r) => r.price);
	});
	await check('knex: hasColumn', async () => [await k.schema.hasColumn('kx_items', 'price'), await k.schema.hasColumn('kx_items', 'nope')]);
	await check('knex: alterTable', async () => {
		await k.schema.alterTable('kx_items', (t) => { t.text('extra'); });
		return k.schema.hasColumn('kx_items', 'extra');
	});
	await check('knex: drop', async () => { await k.schema.dropTable('kx_items'); return k.schema.hasTable('kx_items'); });
	await k.destroy();
}

(async () => {
	await sequelize();
	await knex();
})().catch((e) => { console.error(e); process.exit(1); });
