#!/usr/bin/perl
# bench/tpch/dbgen.pl: TPC-H data at a scale factor, deterministic (the same
# files for the same scale on every machine), written as PostgreSQL COPY
# text files <dir>/<table>.tbl.
#
#   bench/tpch/dbgen.pl [--scale 0.1] [--dir DIR]
#
# Cardinalities, keys and value distributions follow the TPC-H
# specification (clause 4.2.3): sparse order keys (8 of every 32), customers
# whose key is a multiple of 3 have no orders, each part has 4 suppliers
# chosen by the specification's formula and each lineitem takes one of
# them, dates between 1992-01-01 and 1998-12-31 with CURRENTDATE
# 1995-06-17 deciding return flags and line status, retail prices by the
# formula, total prices as the sum of the lines.  Comments are random words
# from a small vocabulary (with the words the queries look for), not the
# specification's grammar.
use strict;
use warnings;
use Getopt::Long;
use POSIX qw(floor strftime);

my $scale = 0.1;
my $dir = '.';
GetOptions('scale=f' => \$scale, 'dir=s' => \$dir) or die "usage: $0 [--scale SF] [--dir DIR]\n";
mkdir $dir unless -d $dir;
srand(19920101);

my @regions = ('AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST');
my @nations = (
	[ 'ALGERIA', 0 ], [ 'ARGENTINA', 1 ], [ 'BRAZIL', 1 ], [ 'CANADA', 1 ], [ 'EGYPT', 4 ],
	[ 'ETHIOPIA', 0 ], [ 'FRANCE', 3 ], [ 'GERMANY', 3 ], [ 'INDIA', 2 ], [ 'INDONESIA', 2 ],
	[ 'IRAN', 4 ], [ 'IRAQ', 4 ], [ 'JAPAN', 2 ], [ 'JORDAN', 4 ], [ 'KENYA', 0 ],
	[ 'MOROCCO', 0 ], [ 'MOZAMBIQUE', 0 ], [ 'PERU', 1 ], [ 'CHINA', 2 ], [ 'ROMANIA', 3 ],
	[ 'SAUDI ARABIA', 4 ], [ 'VIETNAM', 2 ], [ 'RUSSIA', 3 ], [ 'UNITED KINGDOM', 3 ], [ 'UNITED STATES', 1 ],
);
my @colors = qw(almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood
  burnished chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab
  firebrick floral forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki
  lace lavender lawn lemon light lime linen magenta maroon medium metallic midnight mint misty moccasin
  navajo navy olive orange orchid pale papaya peach peru pink plum powder puff purple red rose rosy
  royal saddle salmon sandy seashell sienna sky slate smoke snow spring steel tan thistle tomato
  turquoise violet wheat white yellow);
my @type1 = ('STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO');
my @type2 = ('ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED');
my @type3 = ('TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER');
my @cont1 = ('SM', 'LG', 'MED', 'JUMBO', 'WRAP');
my @cont2 = ('CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM');
my @segments = ('AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD');
my @priorities = ('1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW');
my @instructs = ('DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN');
my @modes = ('REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB');
my @words = qw(furiously carefully quickly slyly blithely express regular special pending final
  ironic even bold silent unusual requests deposits accounts packages instructions theodolites
  foxes pinto beans asymptotes dependencies platelets ideas excuses sleep wake nag haggle
  detect integrate cajole boost use among above along across according about after against);

sub rnd { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub pick { return $_[0][ int(rand(scalar @{ $_[0] })) ]; }
sub money { my ($lo, $hi) = @_; return sprintf('%.2f', rnd($lo, $hi) / 100); }

sub comment
{
	my ($min, $max) = @_;
	my $len = rnd($min, $max);
	my $s = '';
	$s .= ($s eq '' ? '' : ' ') . pick(\@words) while length($s) < $len;
	return substr($s, 0, $len);
}

my $alnum = join('', 'a' .. 'z', 'A' .. 'Z', '0' .. '9', ',', ' ');
sub vstring { my $n = rnd($_[0], $_[1]); return join('', map { substr($alnum, int(rand(64)), 1) } 1 .. $n); }
sub phone { my ($nation) = @_; return sprintf('%02d-%03d-%03d-%04d', $nation + 10, rnd(100, 999), rnd(100, 999), rnd(1000, 9999)); }

# Day numbers from 1992-01-01 as dates.
my @date = map { strftime('%Y-%m-%d', gmtime(694224000 + 86400 * $_)) } 0 .. 2600;
my $currentdate = 1263;    # 1995-06-17
$date[$currentdate] eq '1995-06-17' or die "date table is off: $date[$currentdate]\n";

sub out { my ($name) = @_; open(my $fh, '>', "$dir/$name.tbl") or die "$dir/$name.tbl: $!\n"; return $fh; }

my $fh = out('region');
print $fh join("\t", $_, $regions[$_], comment(31, 115)), "\n" for 0 .. 4;
close $fh;
$fh = out('nation');
print $fh join("\t", $_, $nations[$_][0], $nations[$_][1], comment(31, 114)), "\n" for 0 .. 24;
close $fh;

my $nsupp = int(10000 * $scale);
my $npart = int(200000 * $scale);
my $ncust = int(150000 * $scale);
my $nord = int(1500000 * $scale);

# Suppliers: 5 per 10,000 have "Customer ... Complaints" in the comment,
# another 5 "Customer ... Recommends".
$fh = out('supplier');
for my $k (1 .. $nsupp)
{
	my $nation = rnd(0, 24);
	my $c = comment(25, 100);
	my $r = rand(10000);
	if ($r < 10)
	{
		my $tag = $r < 5 ? 'Complaints' : 'Recommends';
		$c = substr($c, 0, 40) . " Customer $tag";
	}
	print $fh join("\t", $k, sprintf('Supplier#%09d', $k), vstring(10, 40), $nation, phone($nation),
		money(-99999, 999999), $c), "\n";
}
close $fh;

sub retailprice { my ($p) = @_; return (90000 + (int($p / 10) % 20001) + 100 * ($p % 1000)) / 100; }
sub partsupp_supp { my ($p, $i) = @_; return ($p + ($i * (int($nsupp / 4) + int(($p - 1) / $nsupp)))) % $nsupp + 1; }

$fh = out('part');
my $psfh = out('partsupp');
for my $p (1 .. $npart)
{
	my %seen;
	my @name;
	while (@name < 5) { my $c = pick(\@colors); push @name, $c unless $seen{$c}++; }
	my $m = rnd(1, 5);
	print $fh join("\t", $p, "@name", "Manufacturer#$m", "Brand#$m" . rnd(1, 5),
		join(' ', pick(\@type1), pick(\@type2), pick(\@type3)), rnd(1, 50),
		pick(\@cont1) . ' ' . pick(\@cont2), sprintf('%.2f', retailprice($p)), comment(5, 22)), "\n";
	print $psfh join("\t", $p, partsupp_supp($p, $_), rnd(1, 9999), money(100, 100000), comment(49, 198)), "\n"
	  for 0 .. 3;
}
close $fh;
close $psfh;

$fh = out('customer');
for my $k (1 .. $ncust)
{
	my $nation = rnd(0, 24);
	print $fh join("\t", $k, sprintf('Customer#%09d', $k), vstring(10, 40), $nation, phone($nation),
		money(-99999, 999999), pick(\@segments), comment(29, 116)), "\n";
}
close $fh;

$fh = out('orders');
my $lfh = out('lineitem');
for my $i (1 .. $nord)
{
	my $okey = int(($i - 1) / 8) * 32 + ($i - 1) % 8 + 1;
	my $cust;
	do { $cust = rnd(1, $ncust) } while $cust % 3 == 0;
	my $odate = rnd(0, 2405 - 151);    # up to 1998-08-02
	my ($total, $nf, $no) = (0, 0, 0);
	my $lines = rnd(1, 7);
	for my $ln (1 .. $lines)
	{
		my $part = rnd(1, $npart);
		my $supp = partsupp_supp($part, rnd(0, 3));
		my $qty = rnd(1, 50);
		my $ext = $qty * retailprice($part);
		my $disc = rnd(0, 10) / 100;
		my $tax = rnd(0, 8) / 100;
		my $ship = $odate + rnd(1, 121);
		my $commit = $odate + rnd(30, 90);
		my $receipt = $ship + rnd(1, 30);
		my $flag = $receipt <= $currentdate ? (rand() < 0.5 ? 'R' : 'A') : 'N';
		my $status = $ship > $currentdate ? 'O' : 'F';
		$status eq 'O' ? $no++ : $nf++;
		$total += $ext * (1 + $tax) * (1 - $disc);
		print $lfh join("\t", $okey, $part, $supp, $ln, $qty, sprintf('%.2f', $ext), sprintf('%.2f', $disc),
			sprintf('%.2f', $tax), $flag, $status, $date[$ship], $date[$commit], $date[$receipt],
			pick(\@instructs), pick(\@modes), comment(10, 43)), "\n";
	}
	my $ostatus = $no == 0 ? 'F' : $nf == 0 ? 'O' : 'P';
	print $fh join("\t", $okey, $cust, $ostatus, sprintf('%.2f', $total), $date[$odate], pick(\@priorities),
		sprintf('Clerk#%09d', rnd(1, int(1000 * $scale) || 1)), 0, comment(19, 78)), "\n";
}
close $fh;
close $lfh;
